/**
 * An input the user must fix (a data or price file, an option's value): the message names the
 * file, line or field and what is wrong, and the commands print it as their error, with no stack.
 */
export class DataError extends Error {}
