/** The OmniTensor dashboard: a read-only view of the indexer's API, routed by the URL's hash. */
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import "./style.css";
import { Charts } from "./pages/Charts.tsx";
import { Governance } from "./pages/Governance.tsx";
import { Home } from "./pages/Home.tsx";
import { Liquidations } from "./pages/Liquidations.tsx";
import { Account, Nodes, Transaction } from "./pages/Nodes.tsx";
import { Task } from "./pages/Task.tsx";

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash.replace(/^#/, "") || "/";
}

function Page({ route }: { route: string }) {
  const [, kind, arg] = route.split("/");
  switch (kind) {
    case "task":
      return <Task id={arg} key={arg} />;
    case "nodes":
      return <Nodes />;
    case "account":
      return <Account address={arg} key={arg} />;
    case "tx":
      return <Transaction hash={arg} key={arg} />;
    case "liquidations":
      return (
        <>
          <h2>Liquidations</h2>
          <Liquidations />
        </>
      );
    case "charts":
      return <Charts />;
    case "governance":
      return <Governance />;
    default:
      return <Home />;
  }
}

const LINKS = [
  ["#/", "Tasks"],
  ["#/nodes", "Nodes"],
  ["#/liquidations", "Liquidations"],
  ["#/charts", "Charts"],
  ["#/governance", "Governance"],
];

function App() {
  const route = useHash();
  return (
    <>
      <header>
        <h1>OmniTensor</h1>
        <nav>
          {LINKS.map(([href, label]) => (
            <a key={href} href={href} className={route === href.slice(1) ? "on" : ""}>
              {label}
            </a>
          ))}
        </nav>
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
