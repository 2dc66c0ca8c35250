export {
  encodeCommand,
  powershellCommandLine,
  powershellInvocation,
  decodeInvocation,
  MAX_COMMAND_LINE,
  STDIN_BOOTSTRAP,
  type PowerShellInvocation,
} from './encoded-command.js';
export { parseClixml, type ClixmlStreams } from './clixml.js';
export { wrapScript, readEnvelope, type PsError } from './ps-envelope.js';
export { powershellOverSsh, type PowerShellRunner, type PsOperation } from './powershell-runner.js';
export { powershellLocal, type LocalPowerShellOptions } from './powershell-local.js';
export { psInput } from './ps-input.js';
export { powershellSession, sharedPowerShell, type PowerShellOverSshSession } from './ssh-powershell.js';
export { powershellSessionOver, type PowerShellSession, type PowerShellSessionOptions } from './ps-session.js';
export { powershellPool, DEFAULT_POWERSHELL_SESSIONS, type PowerShellPoolOptions } from './ps-session-pool.js';
export { SESSION_LOOP, FRAME_MARK } from './ps-session-loop.js';
export { openPowerShellBlockReader, POWERSHELL_BLOCK_HELPER } from './block-helper.js';
export { loadCompiledType } from './compiled-type.js';
export { groupWarmer } from './group-warmer.js';
export { POWERSHELL_FILE_RECEIVER, uploadFileOverSsh, type FileUpload } from './file-receiver.js';
