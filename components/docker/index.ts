export * from "./container";
export * from "../errors";
export * from "../health";
export * from "./image";
export * from "./network";
export * from "./volume";
export * from "../protocol";
export * from "../security";
