// A 512-byte x86 boot sector used to probe whether hardware acceleration really runs guests.
// It walks the CPU through every mode a Linux kernel uses while booting (real mode, 32-bit
// protected mode, 64-bit long mode with paging) and reports each step on COM1 (port 0x3f8).
// Only the long-mode message proves the accelerator works: on some hosts KVM runs real-mode
// code (SeaBIOS, the kernel's setup code) and then hangs once the guest leaves real mode.
// Finally it writes to the isa-debug-exit port so QEMU exits at once instead of idling.

/** Printed from 64-bit mode; its presence in the serial log means the guest CPU works. */
export const PROBE_OK_MARKER = "LIMA-ACCEL-PROBE-OK";
/** isa-debug-exit port written at the end: QEMU exits with status (value << 1) | 1 = 1. */
export const PROBE_EXIT_PORT = 0xf4;

const LOAD_ADDRESS = 0x7c00;
const SECTOR_SIZE = 512;
const COM1 = [0xf8, 0x03];

const le16 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff];
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

interface Layout {
  pm32: number;
  lm64: number;
  timerHandler: number;
  gdt: number;
  gdtDescriptor: number;
  idt: number;
  idtDescriptor: number;
  message: number;
}

function realMode(at: Layout): number[] {
  return [
    0xfa, //                         cli
    0x31, 0xc0, //                   xor ax, ax
    0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, // mov ds/es/ss, ax
    0xbc, ...le16(LOAD_ADDRESS), //  mov sp, 0x7c00
    0xba, ...COM1, 0xb0, 0x52, 0xee, // mov dx, 0x3f8; mov al, 'R'; out dx, al
    0xe4, 0x92, 0x0c, 0x02, 0xe6, 0x92, // fast A20: in al, 0x92; or al, 2; out 0x92, al
    0x0f, 0x01, 0x16, ...le16(at.gdtDescriptor), // lgdt [gdtDescriptor]
    0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0, // cr0 |= PE
    0xea, ...le16(at.pm32), 0x08, 0x00, // jmp 0x08:pm32
  ];
}

function protectedMode(at: Layout): number[] {
  const PML4 = 0x1000;
  const PDPT = 0x2000;
  const PD = 0x3000;
  return [
    0x66, 0xb8, 0x10, 0x00, //       mov ax, 0x10
    0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, // mov ds/es/ss, ax
    0xbc, ...le32(LOAD_ADDRESS), //  mov esp, 0x7c00
    0x66, 0xba, ...COM1, 0xb0, 0x50, 0xee, // out 'P'
    0xbf, ...le32(PML4), 0x31, 0xc0, 0xb9, ...le32(0xc00), 0xf3, 0xab, // zero three page tables
    0xc7, 0x05, ...le32(PML4), ...le32(PDPT | 3), // PML4[0] -> PDPT
    0xc7, 0x05, ...le32(PDPT), ...le32(PD | 3), //   PDPT[0] -> PD
    0xc7, 0x05, ...le32(PD), ...le32(0x83), //       PD[0] = 2 MiB identity page
    0xb8, ...le32(PML4), 0x0f, 0x22, 0xd8, //        cr3 = PML4
    0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, // cr4 |= PAE
    0xb9, ...le32(0xc0000080), 0x0f, 0x32, 0x0d, ...le32(0x100), 0x0f, 0x30, // EFER |= LME
    0x0f, 0x20, 0xc0, 0x0d, ...le32(0x80000000), 0x0f, 0x22, 0xc0, // cr0 |= PG
    0xea, ...le32(at.lm64), 0x18, 0x00, //           jmp 0x18:lm64
  ];
}

// SeaBIOS leaves the PIT ticking on IRQ0, which its PIC setup delivers as vector 8.
const TIMER_VECTOR = 8;

function longMode(at: Layout): number[] {
  return [
    0x0f, 0x01, 0x1c, 0x25, ...le32(at.idtDescriptor), // lidt [idtDescriptor]
    0xfb, 0xf4, 0xeb, 0xfd, //       sti; hlt; jmp hlt (wait for a timer interrupt)
  ];
}

function timerHandler(at: Layout): number[] {
  return [
    0xbe, ...le32(at.message), //    mov esi, message
    0x66, 0xba, ...COM1, //          mov dx, 0x3f8
    0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, // print loop: lodsb; test al,al; jz done; out dx,al; jmp loop
    0xb0, 0x00, 0xe6, PROBE_EXIT_PORT, // mov al, 0; out 0xf4, al
    0xf4, 0xeb, 0xfd, //             hlt; jmp hlt
  ];
}

const GDT = [
  0, 0, 0, 0, 0, 0, 0, 0, // null
  0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0, // 0x08: 32-bit code
  0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0, // 0x10: data
  0xff, 0xff, 0, 0, 0, 0x9a, 0xaf, 0, // 0x18: 64-bit code
];

/** 64-bit IDT with only the timer vector set (any other interrupt triple-faults: no message). */
function idt(at: Layout): number[] {
  const entries = new Array<number>((TIMER_VECTOR + 1) * 16).fill(0);
  entries.splice(TIMER_VECTOR * 16, 8, ...le16(at.timerHandler), 0x18, 0x00, 0x00, 0x8e, 0x00, 0x00);
  return entries;
}

function assemble(at: Layout): number[][] {
  const message = [...Buffer.from(`\n${PROBE_OK_MARKER}\n`, "latin1"), 0];
  const idtEntries = idt(at);
  return [
    realMode(at), protectedMode(at), longMode(at), timerHandler(at),
    GDT, [...le16(GDT.length - 1), ...le32(at.gdt)],
    idtEntries, [...le16(idtEntries.length - 1), ...le32(at.idt), 0, 0, 0, 0],
    message,
  ];
}

/** The boot sector image (raw disk, 512 bytes, boot signature 55 AA). */
export function probeBootSector(): Uint8Array {
  const zero: Layout = { pm32: 0, lm64: 0, timerHandler: 0, gdt: 0, gdtDescriptor: 0, idt: 0, idtDescriptor: 0, message: 0 };
  const starts: number[] = [];
  assemble(zero).reduce((offset, part) => (starts.push(LOAD_ADDRESS + offset), offset + part.length), 0);
  const [, pm32, lm64, handler, gdt, gdtDescriptor, idtStart, idtDescriptor, message] = starts as number[];
  const layout = { pm32, lm64, timerHandler: handler, gdt, gdtDescriptor, idt: idtStart, idtDescriptor, message } as Layout;
  const code = assemble(layout).flat();
  if (code.length > SECTOR_SIZE - 2) throw new Error("internal error: probe boot sector too large");
  const sector = new Uint8Array(SECTOR_SIZE);
  sector.set(code);
  sector.set([0x55, 0xaa], SECTOR_SIZE - 2);
  return sector;
}
