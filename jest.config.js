/** Unit tests sit next to the code (*.test.ts); end-to-end tests live in test/ and drive real CometBFT. */
module.exports = {
  testEnvironment: "node",
  testMatch: ["<rootDir>/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/", "/.bin/"],
  transform: { "^.+\\.(t|j)s$": ["@swc/jest"] },
  // @noble, @scure and micro-packed (used by @scure/btc-signer) ship ES modules only; let swc turn them into CommonJS for jest.
  transformIgnorePatterns: ["/node_modules/(?!(@noble|@scure|micro-packed)/)"],
  testTimeout: 60_000,
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/test/support/summary-reporter.js"],
};
