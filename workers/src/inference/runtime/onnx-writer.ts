/**
 * A minimal ONNX protobuf writer (ModelProto, GraphProto, NodeProto, TensorProto,
 * ValueInfoProto), enough to build small test models without the onnx Python package. Used by
 * scripts/build-models.ts and by tests that need a model made on the spot.
 * Field numbers follow onnx/onnx.proto3 (IR version 8).
 */

export const ONNX_TYPES = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
} as const;
export type OnnxTypeName = keyof typeof ONNX_TYPES;

class Writer {
  private chunks: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) byte |= 0x80;
      this.chunks.push(byte);
    } while (x > 0n);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.chunks.push(x);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  float(field: number, f: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(new Float32Array([f]).buffer);
    for (const x of b) this.chunks.push(x);
    return this;
  }
  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

export interface TensorInit {
  name: string;
  type: OnnxTypeName;
  dims: number[];
  /** Values in row-major order (float16 as numbers, converted by the caller to bits if needed). */
  values: ArrayLike<number> | ArrayLike<bigint>;
}

export interface ValueInfo {
  name: string;
  type: OnnxTypeName;
  /** Positive integers and symbolic names (dim_param). */
  dims: (number | string)[];
}

export type AttributeValue = number | number[] | string | { float: number };

export interface NodeDef {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface GraphDef {
  name: string;
  nodes: NodeDef[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers?: TensorInit[];
  opset?: number;
  docString?: string;
}

function rawData(t: TensorInit): Uint8Array {
  const n = t.values.length;
  const v = t.values as ArrayLike<number | bigint>;
  let arr: ArrayBufferView;
  switch (t.type) {
    case "float32":
      arr = Float32Array.from(v as ArrayLike<number>);
      break;
    case "float64":
      arr = Float64Array.from(v as ArrayLike<number>);
      break;
    case "int64":
      arr = BigInt64Array.from({ length: n }, (_, i) => BigInt(v[i]));
      break;
    case "uint64":
      arr = BigUint64Array.from({ length: n }, (_, i) => BigInt(v[i]));
      break;
    case "int32":
      arr = Int32Array.from(v as ArrayLike<number>);
      break;
    case "uint32":
      arr = Uint32Array.from(v as ArrayLike<number>);
      break;
    case "int16":
      arr = Int16Array.from(v as ArrayLike<number>);
      break;
    case "uint16":
    case "float16":
      arr = Uint16Array.from(v as ArrayLike<number>);
      break;
    case "int8":
      arr = Int8Array.from(v as ArrayLike<number>);
      break;
    case "uint8":
    case "bool":
      arr = Uint8Array.from(v as ArrayLike<number>);
      break;
  }
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

function tensorProto(t: TensorInit): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, ONNX_TYPES[t.type]);
  w.string(8, t.name);
  w.bytes(9, rawData(t));
  return w;
}

function valueInfo(v: ValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.dims) {
    const dim = new Writer();
    if (typeof d === "number") dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new Writer().int(1, ONNX_TYPES[v.type]).message(2, shape);
  const type = new Writer().message(1, tensorType);
  return new Writer().string(1, v.name).message(2, type);
}

function attribute(name: string, value: AttributeValue): Writer {
  const w = new Writer().string(1, name);
  if (typeof value === "number") w.int(3, value).int(20, 2);
  else if (typeof value === "string") w.string(4, value).int(20, 3);
  else if (Array.isArray(value)) {
    for (const x of value) w.int(8, x);
    w.int(20, 7);
  } else w.float(2, value.float).int(20, 1);
  return w;
}

function nodeProto(n: NodeDef, index: number): Writer {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name ?? `${n.op.toLowerCase()}_${index}`);
  w.string(4, n.op);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, attribute(k, v));
  return w;
}

/** Serializes a graph as an ONNX ModelProto (IR version 8, default-domain opset `opset`, 17 by default). */
export function buildOnnxModel(g: GraphDef): Uint8Array {
  const graph = new Writer();
  g.nodes.forEach((n, i) => graph.message(1, nodeProto(n, i)));
  graph.string(2, g.name);
  for (const t of g.initializers ?? []) graph.message(5, tensorProto(t));
  if (g.docString) graph.string(10, g.docString);
  for (const v of g.inputs) graph.message(11, valueInfo(v));
  for (const v of g.outputs) graph.message(12, valueInfo(v));
  const opset = new Writer().string(1, "").int(2, g.opset ?? 17);
  const model = new Writer()
    .int(1, 8)
    .string(2, "omnitensor-build-models")
    .string(3, "1")
    .message(7, graph)
    .message(8, opset);
  return model.finish();
}
