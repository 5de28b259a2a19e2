// Single arquero modules: its index would bring Node-only code into the browser bundle.
declare module "arquero/src/table/index.js" {
  export { table } from "arquero";
}
declare module "arquero/src/format/to-arrow-ipc.js" {
  export { toArrowIPC } from "arquero";
}
