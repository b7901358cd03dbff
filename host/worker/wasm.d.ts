// wrangler bundles a .wasm import as a compiled WebAssembly.Module.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

// The engine also accepts bytes (it compiles them on Node); workers-types leaves compile() out
// because Workers refuse it. The Worker only ever passes a compiled Module.
declare namespace WebAssembly {
  function compile(bytes: BufferSource): Promise<Module>;
}
