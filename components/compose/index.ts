export * from "./composeApp";
