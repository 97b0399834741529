/** Unit tests: the program under Pulumi mocks. End-to-end suites live under test/e2e and run from their own scripts. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test/unit"],
  testMatch: ["**/*.test.ts"],
  testTimeout: 30000,
};
