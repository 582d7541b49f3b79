/**
 * cosmjs-types' BinaryWriter.alloc builds a new 8 KiB slab pool on every call, so each
 * `encode(...).finish()` of a small message allocates and zeroes 8 KiB it then mostly discards:
 * under load that was a few percent of the app's CPU plus garbage collection. Allocating exactly
 * the message's size gives the same bytes, and every encoded buffer owns its memory.
 */
import { BinaryWriter } from "cosmjs-types/binary";

BinaryWriter.alloc = (size: number): Uint8Array => new Uint8Array(size);
