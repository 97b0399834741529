// The same single container as bench/floor/one, through dockyard's Container component as a program
// of its own uses it (`dockyard/docker`, the package's compiled entry point, resolved by name): what
// the component costs over Pulumi's floor (bench/e2e.sh).
import * as pulumi from "@pulumi/pulumi";
import { Container } from "dockyard/docker";

const image = new pulumi.Config().require("image");
const container = new Container("floor", { name: `consumer-${pulumi.getStack()}`, image, cpus: 0.25, memory: "64m" });
export const id = container.containerId;
