/** The typed handler map: one optional handler per `Contract:Event` (src/index.ts registers them all). */
import type { EventNames, IndexingFunctionArgs } from "ponder:registry";

export type Handlers = { [K in EventNames]?: (args: IndexingFunctionArgs<K>) => Promise<void> };
