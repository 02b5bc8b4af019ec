/**
 * JSON.parse for text from outside the program (files, headers, peers): a syntax error becomes
 * the caller's own error, made by `invalid` with the SyntaxError as its cause, so each caller
 * says what the text was and what to do, and none repeats the try/catch around the parse.
 */
export function parseJson(text: string, invalid: (cause: unknown) => Error): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw invalid(error)
  }
}
