/**
 * arquero's tables without its file and stream loaders, which import `node:fs` and `node:stream`: Framework's
 * bundler does not apply arquero's browser field, so the whole package would fail to load in the browser. The same
 * module serves Node and the browser; its types are arquero's own.
 */
declare module "arquero/src/table/index.js" {
  export { from, table } from "arquero";
}

declare module "arquero/src/op/op-api.js" {
  export { op as opApi } from "arquero";
}

declare module "arquero/src/helpers/escape.js" {
  export { escape } from "arquero";
}

declare module "arquero/src/helpers/collate.js" {
  export { collate } from "arquero";
}
