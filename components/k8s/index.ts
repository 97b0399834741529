export * from "./autoscaler";
export * from "./deployment";
export * from "./labels";
export * from "./networkPolicies";
export * from "./registrySecret";
export * from "./secret";
