import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { PaystateError } from '../errors.js';

/**
 * Provider credentials at rest: AES-256-GCM under a master key from PAYSTATE_MASTER_KEY. The
 * setting is a comma-separated list of base64 32-byte keys: the first seals, all of them open,
 * so a rotation adds a new key in front and `paystate keys rotate` re-seals every row under it.
 * A key's id is a digest of the key (never the key), stored beside each sealed row.
 */
export interface MasterKey {
  id: string;
  key: Buffer;
}

export class Keyring {
  private constructor(private readonly keys: readonly MasterKey[]) {}

  /** Null when the setting is unset: accounts then cannot be created or read. */
  static fromSetting(setting: string | undefined): Keyring | null {
    if (!setting) return null;
    const keys = setting.split(',').map((text) => {
      const key = Buffer.from(text.trim(), 'base64');
      if (key.length !== 32)
        throw new KeyringError('PAYSTATE_MASTER_KEY: each key is 32 bytes in base64 (openssl rand -base64 32)');
      return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
    });
    return new Keyring(keys);
  }

  get currentKeyId(): string {
    return this.keys[0]!.id;
  }

  /** `context` (the row's identity) is authenticated too: a sealed value copied to another row does not open. */
  seal(plaintext: string, context: string): { keyId: string; sealed: string } {
    const { id, key } = this.keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: id, sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
  }

  open(keyId: string, sealed: string, context: string): string {
    const master = this.keys.find((candidate) => candidate.id === keyId);
    if (!master) throw new KeyringError(`master key ${keyId} is not in PAYSTATE_MASTER_KEY`);
    const bytes = Buffer.from(sealed, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', master.key, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new KeyringError(`a sealed value under master key ${keyId} does not open: it was altered or moved`);
    }
  }
}

export class KeyringError extends PaystateError {
  constructor(message: string) {
    super('unavailable', 'master_key_unusable', message);
  }
}
