export * from "./container";
export * from "../errors";
export * from "./image";
export * from "./network";
export * from "./volume";
