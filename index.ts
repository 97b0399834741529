// The voting app's stack: this package's first user, through its public entry point (dockyard/app),
// as any program of its own would be (eslint.config.mjs keeps it so).
import { deployStack } from "./components/app";
import { votingApp } from "./stacks/votingApp";

export const { target, urls, networks, volumes, images } = deployStack(votingApp);
