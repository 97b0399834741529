// One container from a local image, written the way the Pulumi examples write it: the floor a program
// with a single Docker resource pays (bench/e2e.sh). Nothing of dockyard's is loaded.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

const image = new pulumi.Config().require("image");
const container = new docker.Container("floor", { image, name: `floor-${pulumi.getStack()}`, mustRun: true });
export const id = container.id;
