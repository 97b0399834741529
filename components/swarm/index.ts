export * from "./duration";
export * from "./secret";
export * from "./service";
export * from "../protocol";
export * from "../security";
