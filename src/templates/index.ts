export * from "./store.js";
export * from "./locator.js";
export * from "./embed.js";
export { absLocator, locatorDir } from "./abs.js";
export { instanceNameFromImageURL, isImageURL } from "./imagename.js";
export { parseGitHubLocator, rawContentURL, transformGitHubURL } from "./github.js";
export { parseYaml, stringifyYaml } from "./yamldoc.js";
