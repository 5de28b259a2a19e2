import { parentPort, workerData } from "node:worker_threads";
import { encodePart, foldPart, type PartRequest } from "./parallel-fold.js";

const { message, transfer } = encodePart(foldPart(workerData as PartRequest));
parentPort?.postMessage(message, transfer);
