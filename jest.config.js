/**
 * Unit tests: the program under Pulumi mocks. End-to-end suites live under test/e2e and run from their own scripts.
 * The tests are transpiled file by file (tsconfig.jest.json: isolatedModules), not type-checked: `npm run lint`
 * runs `tsc --noEmit` over the whole tree once, which is about 40% less CPU than ts-jest checking every file.
 * Workers on every core (jest's default leaves one free, which on 2 cores runs the suite in one process).
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test/unit"],
  testMatch: ["**/*.test.ts"],
  testTimeout: 30000,
  maxWorkers: "100%",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.jest.json" }] },
};
