// ESLint for the infrastructure code (the apps under apps/ have their own packages).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The package's public entry points (package.json `exports`): the stack program reaches the
// components and the app pipeline only through them, so what the voting stack uses is what users get.
const ENTRY = "components(/(docker|k8s|swarm|compose|app))?";
// `up`: the path from the file to the checkout's root, as a regex ("\\./" or "\\.\\./").
const throughEntryPoints = (up) => ({
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        {
          regex: `^(?!(${up}${ENTRY}|\\./stacks/votingApp)$)\\.\\.?/`,
          message: "The stack program imports dockyard only through its public entry points (components, components/<docker|k8s|swarm|compose|app>).",
        },
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ["node_modules/", ".tools/", ".state/", "apps/", "dist/", "**/*.js", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  { files: ["index.ts"], rules: throughEntryPoints("\\./") },
  { files: ["stacks/votingApp.ts"], rules: throughEntryPoints("\\.\\./") },
);
