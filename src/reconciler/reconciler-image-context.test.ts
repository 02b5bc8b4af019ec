import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {
  moduleImportClosure,
  moduleSpecifiers,
  packageDependencyClosure,
  packageNameOf,
  parseLddOutput,
  reconcilerImageContext,
} from './reconciler-image-context.js'

const roots: string[] = []
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, {recursive: true, force: true})
})

/** A package directory laid out like the tool's: package.json, dist/, node_modules/. */
async function fixture(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'medrec-reconciler-context-'))
  roots.push(root)
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), {recursive: true})
    await writeFile(join(root, path), content)
  }
  return root
}

const pkg = (name: string, deps: Record<string, string> = {}, optional: Record<string, string> = {}) =>
  JSON.stringify({name, version: '1.2.3', dependencies: deps, optionalDependencies: optional})

/** The tool as the reconciler sees it: two entry modules, a helper, three packages used and one not. */
const tool = {
  'package.json': JSON.stringify({name: 'medrec', version: '9.9.9', type: 'module'}),
  'dist/reconciler/reconciler-main.js': [
    "import {a} from '../x/helper.js';",
    "import Docker from 'pkg-a';",
    "import {readFile} from 'node:fs/promises';",
    "import {join} from 'path';",
    '/**',
    " * import {nothing} from 'pkg-unused'",
    ' */',
  ].join('\n'),
  'dist/reconciler/reconciler-health.js': "import {names} from '../x/helper.js';\n",
  'dist/x/helper.js': "export {sub} from 'pkg-b/sub/deep.js';\nconst lazy = () => import('./lazy.js');\n",
  'dist/x/lazy.js': 'export const lazy = 1;\n',
  'dist/x/unrelated.js': "import 'pkg-unused';\n",
  'node_modules/pkg-a/package.json': pkg('pkg-a', {'pkg-c': '^1'}, {'pkg-optional-absent': '^1'}),
  'node_modules/pkg-a/index.js': 'module.exports = 1\n',
  'node_modules/pkg-a/index.d.ts': 'export {}\n',
  'node_modules/pkg-a/README.md': '# a\n',
  'node_modules/pkg-a/node_modules/pkg-c/package.json': pkg('pkg-c'),
  'node_modules/pkg-a/node_modules/pkg-c/lib/c.js': 'module.exports = 3\n',
  'node_modules/pkg-c/package.json': pkg('pkg-c'),
  'node_modules/pkg-b/package.json': pkg('pkg-b'),
  'node_modules/pkg-b/sub/deep.js': 'export const sub = 2\n',
  'node_modules/pkg-b/sub/deep.js.map': '{}\n',
  'node_modules/pkg-unused/package.json': pkg('pkg-unused'),
}

describe("the reconciler image's content", () => {
  it('reads the specifiers of compiled modules, and the package each bare one names', () => {
    expect(moduleSpecifiers(tool['dist/reconciler/reconciler-main.js'])).toEqual([
      '../x/helper.js',
      'pkg-a',
      'node:fs/promises',
      'path',
    ])
    expect(moduleSpecifiers(tool['dist/x/helper.js'])).toEqual(['pkg-b/sub/deep.js', './lazy.js'])
    expect(['viem/accounts', '@noble/hashes/sha3', 'zod', 'node:fs', 'fs', './x.js'].map(packageNameOf)).toEqual([
      'viem',
      '@noble/hashes',
      'zod',
      undefined,
      undefined,
      undefined,
    ])
  })

  it('takes only the modules the entry points import and the packages those need, resolved as Node would', async () => {
    // Given a tool whose unrelated module imports a package the reconciler never loads
    const root = await fixture(tool)
    // When the closure of the entry points is followed
    const {modules, packages} = await moduleImportClosure(root, [
      'dist/reconciler/reconciler-main.js',
      'dist/reconciler/reconciler-health.js',
    ])
    // Then only the imported modules and their packages are in it
    expect(modules).toEqual([
      'dist/reconciler/reconciler-health.js',
      'dist/reconciler/reconciler-main.js',
      'dist/x/helper.js',
      'dist/x/lazy.js',
    ])
    expect([...packages.keys()].sort()).toEqual(['pkg-a', 'pkg-b'])
    // And dependencies resolve nested first (pkg-a's own pkg-c), an absent optional one is skipped
    expect(await packageDependencyClosure(root, packages)).toEqual([
      'node_modules/pkg-a',
      'node_modules/pkg-a/node_modules/pkg-c',
      'node_modules/pkg-b',
    ])
  })

  it('refuses a package that is needed but not installed, and a tool that is not built', async () => {
    // Given the tool without pkg-b installed
    const root = await fixture(tool)
    await rm(join(root, 'node_modules/pkg-b'), {recursive: true})
    const {packages} = await moduleImportClosure(root, ['dist/reconciler/reconciler-main.js', 'dist/x/helper.js'])
    await expect(packageDependencyClosure(root, packages)).rejects.toMatchObject({
      code: errorCodes.RECONCILER_IMAGE_FAILED,
    })
    await expect(moduleImportClosure(root, ['dist/reconciler/missing.js'])).rejects.toMatchObject({
      code: errorCodes.RECONCILER_IMAGE_FAILED,
    })
  })

  it("reads ldd's output: each library's path and the loader, not the vDSO; a missing library is refused", () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd4d5f2000)',
      '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f2f23a5d000)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f2f23800000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2f2353e000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f2f23a75000)',
    ].join('\n')
    expect(parseLddOutput(output)).toEqual([
      '/lib/x86_64-linux-gnu/libdl.so.2',
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ])
    expect(parseLddOutput('\tstatically linked\n')).toEqual([])
    expect(() => parseLddOutput('\tlibfoo.so.1 => not found\n')).toThrow(
      expect.objectContaining({code: errorCodes.RECONCILER_IMAGE_FAILED}),
    )
  })

  it.runIf(process.platform === 'linux')(
    'puts Node and its libraries under runtime/, the modules and packages under app/, hashed by what the loop loads',
    async () => {
      // Given the fixture tool, packaged with the Node that runs this test
      const root = await fixture(tool)
      const context = await reconcilerImageContext({root})
      const paths = context.entries.map((e) => e.path)
      // Then Node is where the Dockerfile runs it, with the loader its ELF names
      expect(paths[0]).toBe('runtime/usr/local/bin/node')
      expect(paths.some((p) => /^runtime\/lib(64)?\/.*ld-linux.*\.so/.test(p) || /ld-musl/.test(p))).toBe(true)
      // And the app holds the modules and the packages' run-time files, nothing else
      const app = paths.filter((p) => p.startsWith('app/')).sort()
      expect(app).toEqual([
        'app/app/dist/reconciler/reconciler-health.js',
        'app/app/dist/reconciler/reconciler-main.js',
        'app/app/dist/x/helper.js',
        'app/app/dist/x/lazy.js',
        'app/app/node_modules/pkg-a/index.js',
        'app/app/node_modules/pkg-a/node_modules/pkg-c/lib/c.js',
        'app/app/node_modules/pkg-a/node_modules/pkg-c/package.json',
        'app/app/node_modules/pkg-a/package.json',
        'app/app/node_modules/pkg-b/package.json',
        'app/app/node_modules/pkg-b/sub/deep.js',
        'app/app/package.json',
      ])
      expect(context.version).toBe('9.9.9')
      // And the hash is stable, and changes when a module the loop loads changes
      expect((await reconcilerImageContext({root})).hash).toBe(context.hash)
      await writeFile(join(root, 'dist/x/lazy.js'), 'export const lazy = 2;\n')
      expect((await reconcilerImageContext({root})).hash).not.toBe(context.hash)
      // But not when a module it does not load changes
      const afterChange = (await reconcilerImageContext({root})).hash
      await writeFile(join(root, 'dist/x/unrelated.js'), 'export {}\n')
      expect((await reconcilerImageContext({root})).hash).toBe(afterChange)
    },
  )
})
