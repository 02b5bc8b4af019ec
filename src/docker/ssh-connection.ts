import {spawn} from 'node:child_process'
import {Agent} from 'node:http'
import {Duplex} from 'node:stream'

/** The error code of a connection through ssh that failed (the ssh client's own words are in the message). */
export const sshFailedCode = 'SSH_FAILED'

/** The ssh client's arguments to reach `ssh://[user@]host[:port]` and run the engine's stdio bridge. */
export function sshArguments(host: string): string[] {
  const url = new URL(host)
  const user = decodeURIComponent(url.username)
  // Square brackets of an IPv6 literal are URL syntax, not part of the name ssh resolves.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return [
    '-o',
    'ConnectTimeout=30',
    '-T',
    ...(user ? ['-l', user] : []),
    ...(url.port ? ['-p', url.port] : []),
    '--',
    hostname,
    'docker',
    'system',
    'dial-stdio',
  ]
}

/**
 * An HTTP agent whose every connection is a run of the system's ssh client executing
 * `docker system dial-stdio` on the remote host, as the docker CLI does for ssh://. The
 * system client, not a JavaScript one, because it verifies the host key against
 * known_hosts and honours ~/.ssh/config, keys and agents as the user set them up
 * (docker-modem's built-in ssh2 client accepts any host key and uses only SSH_AUTH_SOCK).
 */
export function sshConnectionAgent(host: string, sshCommand = 'ssh'): Agent {
  const args = sshArguments(host)
  const agent = new Agent({keepAlive: false})
  // Node's Agent takes the socket createConnection returns; a Duplex is enough for HTTP and
  // for the exec API's upgraded (hijacked) stream.
  ;(agent as unknown as {createConnection: () => Duplex}).createConnection = () => commandSocket(sshCommand, args)
  return agent
}

/** A socket-like Duplex over a child process's stdin and stdout. */
function commandSocket(command: string, args: string[]): Duplex {
  const child = spawn(command, args, {stdio: ['pipe', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000)
  })
  const failure = (message: string, cause?: unknown) =>
    Object.assign(new Error(message, cause === undefined ? undefined : {cause}), {code: sshFailedCode})
  const socket = new Duplex({
    // A write to a client that has exited fails with EPIPE; its exit reports why, in its own words.
    write(chunk, _encoding, callback) {
      child.stdin.write(chunk, () => callback())
    },
    final(callback) {
      child.stdin.end(() => callback())
    },
    read() {
      child.stdout.resume()
    },
    destroy(error, callback) {
      if (child.exitCode === null && child.signalCode === null) child.kill()
      callback(error)
    },
  })
  child.stdout.on('data', (chunk: Buffer) => {
    if (!socket.push(chunk)) child.stdout.pause()
  })
  child.stdin.on('error', () => {}) // reported through 'exit' with the client's own words
  child.on('error', (error: NodeJS.ErrnoException) => {
    const why = error.code === 'ENOENT' ? `the ssh client "${command}" is not installed` : error.message
    socket.destroy(failure(why, error))
  })
  // The end of the stream waits for the client's exit: a failed connection then says why.
  child.on('close', (code) => {
    if (code === 0 || code === null) {
      socket.push(null)
      return
    }
    const said = stderr.trim().split('\n').filter(Boolean).at(-1)
    socket.destroy(failure(`ssh exited with code ${code}${said ? `: ${said}` : ''}`))
  })
  // What Node's HTTP client may call on a net.Socket; nothing to tune on a pipe.
  const noop = () => socket
  Object.assign(socket, {setNoDelay: noop, setKeepAlive: noop, setTimeout: noop, ref: noop, unref: noop})
  return socket
}
