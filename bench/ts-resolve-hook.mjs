// Lets `node --import ./bench/ts-resolve-hook.mjs bench/gas.ts` run the TypeScript
// sources directly: Node 24 strips types itself, but src/ imports siblings as `.js`
// (module nodenext), so a `.js` specifier that does not exist is retried as `.ts`.
import {registerHooks} from 'node:module'

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context)
    } catch (error) {
      if ((specifier.startsWith('.') || specifier.startsWith('/')) && specifier.endsWith('.js')) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
      }
      throw error
    }
  },
})
