// What a router's `version:` can name: an artefact file's name in the models folder, less `.json`
// (the config's schema, `train`/`calibrate` writing one, and the router serving one agree on it).
export const ARTEFACT_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
