// The smallest Pulumi TypeScript program: only its stack resource. bench/e2e.sh measures it as the floor.
export const empty = true;
