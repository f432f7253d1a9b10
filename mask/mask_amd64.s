//go:build !purego

#include "textflag.h"

// Every kernel has the Go signature func(dst, src *byte, n int, key uint32)
// and computes dst[i] = src[i] ^ byte(key >> (8*(i&3))) for i < n, n >= 0,
// with dst == src allowed. Registers: DI = dst, SI = src, DX = n, AX = key.
//
// Shape of a kernel of vector width W, for n >= W:
//   1. XOR the first W and the last W bytes into registers, without storing.
//   2. Advance to the first W-aligned byte of dst (h = -dst mod W) and run
//      the main loop, four vectors then one, over whole vectors only: every
//      store is aligned, so none splits a cache line.
//   3. Store the first and the last vector: they cover the unaligned head
//      and the tail shorter than W that the main loop left.
// Bytes in the overlaps get the same value twice, and in place this is safe
// because step 1 loaded the ends before the loop wrote anything. There is no
// scalar or masked tail above W bytes, so throughput rises smoothly with n
// instead of stepping at thresholds. A vector starting at byte offset j needs
// the key rotated right by 8*(j&3) bits; RORL masks its count to 5 bits, so
// rotating by 8*j does that without an AND.
//
// The AVX kernels use only VEX/EVEX encodings between their first vector
// instruction and VZEROUPPER: a legacy SSE instruction (such as MOVD) while
// the upper halves are dirty cost about 200 ns per call on the test machine.

// func xorArch(dst, src *byte, n int, key uint32)
// Dispatch by tail jump: one ABI wrapper, no extra Go frame.
TEXT ·xorArch(SB), NOSPLIT, $0-28
	CMPB ·useAVX512(SB), $0
	JEQ  2(PC)
	JMP  ·xorAVX512(SB)
	CMPB ·useAVX2(SB), $0
	JEQ  2(PC)
	JMP  ·xorAVX2(SB)
	JMP  ·xorSSE2(SB)

// func xorAVX512(dst, src *byte, n int, key uint32)
TEXT ·xorAVX512(SB), NOSPLIT, $0-28
	MOVQ n+16(FP), DX
	CMPQ DX, $64
	JAE  avx512_big
	// Below one vector the AVX2 kernel is as fast and avoids masked
	// stores, which stall a later load of the same bytes.
	JMP  ·xorAVX2(SB)

avx512_big:
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVL         key+24(FP), AX
	VPBROADCASTD AX, Z0
	MOVL         AX, BX
	LEAQ         (DX*8), CX
	RORL         CX, BX
	VPBROADCASTD BX, Z1
	VPXORD       (SI), Z0, Z2
	VPXORD       -64(SI)(DX*1), Z1, Z3

	MOVQ         DI, R8
	NEGQ         R8
	ANDQ         $63, R8
	LEAQ         (R8*8), CX
	RORL         CX, AX
	VPBROADCASTD AX, Z0
	LEAQ         (DI)(R8*1), R9
	LEAQ         (SI)(R8*1), R10
	MOVQ         DX, R11
	SUBQ         R8, R11
	CMPQ         R11, $256
	JB           avx512_loop64

avx512_loop256:
	VPXORD    (R10), Z0, Z4
	VPXORD    64(R10), Z0, Z5
	VPXORD    128(R10), Z0, Z6
	VPXORD    192(R10), Z0, Z7
	VMOVDQU64 Z4, (R9)
	VMOVDQU64 Z5, 64(R9)
	VMOVDQU64 Z6, 128(R9)
	VMOVDQU64 Z7, 192(R9)
	ADDQ      $256, R9
	ADDQ      $256, R10
	SUBQ      $256, R11
	CMPQ      R11, $256
	JAE       avx512_loop256

avx512_loop64:
	CMPQ      R11, $64
	JB        avx512_ends
	VPXORD    (R10), Z0, Z4
	VMOVDQU64 Z4, (R9)
	ADDQ      $64, R9
	ADDQ      $64, R10
	SUBQ      $64, R11
	JMP       avx512_loop64

avx512_ends:
	VMOVDQU64 Z2, (DI)
	VMOVDQU64 Z3, -64(DI)(DX*1)
	VZEROUPPER
	RET

// func xorAVX2(dst, src *byte, n int, key uint32)
TEXT ·xorAVX2(SB), NOSPLIT, $0-28
	MOVQ n+16(FP), DX
	CMPQ DX, $32
	JAE  avx2_big
	JMP  ·xorSmall(SB)

avx2_big:
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVL         key+24(FP), AX
	VMOVD        AX, X0
	VPBROADCASTD X0, Y0
	MOVL         AX, BX
	LEAQ         (DX*8), CX
	RORL         CX, BX
	VMOVD        BX, X1
	VPBROADCASTD X1, Y1
	VPXOR        (SI), Y0, Y2
	VPXOR        -32(SI)(DX*1), Y1, Y3

	MOVQ         DI, R8
	NEGQ         R8
	ANDQ         $31, R8
	LEAQ         (R8*8), CX
	RORL         CX, AX
	VMOVD        AX, X0
	VPBROADCASTD X0, Y0
	LEAQ         (DI)(R8*1), R9
	LEAQ         (SI)(R8*1), R10
	MOVQ         DX, R11
	SUBQ         R8, R11
	CMPQ         R11, $128
	JB           avx2_loop32

avx2_loop128:
	VPXOR   (R10), Y0, Y4
	VPXOR   32(R10), Y0, Y5
	VPXOR   64(R10), Y0, Y6
	VPXOR   96(R10), Y0, Y7
	VMOVDQU Y4, (R9)
	VMOVDQU Y5, 32(R9)
	VMOVDQU Y6, 64(R9)
	VMOVDQU Y7, 96(R9)
	ADDQ    $128, R9
	ADDQ    $128, R10
	SUBQ    $128, R11
	CMPQ    R11, $128
	JAE     avx2_loop128

avx2_loop32:
	CMPQ    R11, $32
	JB      avx2_ends
	VPXOR   (R10), Y0, Y4
	VMOVDQU Y4, (R9)
	ADDQ    $32, R9
	ADDQ    $32, R10
	SUBQ    $32, R11
	JMP     avx2_loop32

avx2_ends:
	VMOVDQU Y2, (DI)
	VMOVDQU Y3, -32(DI)(DX*1)
	// Leave the upper halves clean so later SSE code pays no transition.
	VZEROUPPER
	RET

// func xorSSE2(dst, src *byte, n int, key uint32)
TEXT ·xorSSE2(SB), NOSPLIT, $0-28
	MOVQ n+16(FP), DX
	CMPQ DX, $16
	JAE  sse2_big
	JMP  ·xorSmall(SB)

sse2_big:
	// Legacy SSE memory operands must be 16-byte aligned, so every load is
	// a MOVOU and the XOR is register to register.
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVL   key+24(FP), AX
	MOVL   AX, X0
	PSHUFD $0, X0, X0
	MOVL   AX, BX
	LEAQ   (DX*8), CX
	RORL   CX, BX
	MOVL   BX, X1
	PSHUFD $0, X1, X1
	MOVOU  (SI), X2
	PXOR   X0, X2
	MOVOU  -16(SI)(DX*1), X3
	PXOR   X1, X3

	MOVQ   DI, R8
	NEGQ   R8
	ANDQ   $15, R8
	LEAQ   (R8*8), CX
	RORL   CX, AX
	MOVL   AX, X0
	PSHUFD $0, X0, X0
	LEAQ   (DI)(R8*1), R9
	LEAQ   (SI)(R8*1), R10
	MOVQ   DX, R11
	SUBQ   R8, R11
	CMPQ   R11, $64
	JB     sse2_loop16

sse2_loop64:
	MOVOU (R10), X4
	MOVOU 16(R10), X5
	MOVOU 32(R10), X6
	MOVOU 48(R10), X7
	PXOR  X0, X4
	PXOR  X0, X5
	PXOR  X0, X6
	PXOR  X0, X7
	MOVOU X4, (R9)
	MOVOU X5, 16(R9)
	MOVOU X6, 32(R9)
	MOVOU X7, 48(R9)
	ADDQ  $64, R9
	ADDQ  $64, R10
	SUBQ  $64, R11
	CMPQ  R11, $64
	JAE   sse2_loop64

sse2_loop16:
	CMPQ  R11, $16
	JB    sse2_ends
	MOVOU (R10), X4
	PXOR  X0, X4
	MOVOU X4, (R9)
	ADDQ  $16, R9
	ADDQ  $16, R10
	SUBQ  $16, R11
	JMP   sse2_loop16

sse2_ends:
	MOVOU X2, (DI)
	MOVOU X3, -16(DI)(DX*1)
	RET

// func xorSmall(dst, src *byte, n int, key uint32)
// n < 32, reached by tail jump from the kernels: two overlapping pieces of
// 16, 8 or 4 bytes (both loaded before either is stored), or a byte loop
// below 4. Uses only SSE2 and general registers.
TEXT ·xorSmall(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), DX
	MOVL key+24(FP), AX
	CMPQ DX, $4
	JB   small_bytes
	MOVL AX, BX
	LEAQ (DX*8), CX
	RORL CX, BX
	CMPQ DX, $8
	JB   small_4
	CMPQ DX, $16
	JB   small_8

	MOVL   AX, X0
	PSHUFD $0, X0, X0
	MOVL   BX, X1
	PSHUFD $0, X1, X1
	MOVOU  (SI), X2
	MOVOU  -16(SI)(DX*1), X3
	PXOR   X0, X2
	PXOR   X1, X3
	MOVOU  X2, (DI)
	MOVOU  X3, -16(DI)(DX*1)
	RET

small_8:
	MOVL AX, R9
	SHLQ $32, R9
	ORQ  AX, R9
	MOVL BX, R10
	SHLQ $32, R10
	ORQ  BX, R10
	MOVQ (SI), R8
	MOVQ -8(SI)(DX*1), R11
	XORQ R9, R8
	XORQ R10, R11
	MOVQ R8, (DI)
	MOVQ R11, -8(DI)(DX*1)
	RET

small_4:
	MOVL (SI), R8
	MOVL -4(SI)(DX*1), R11
	XORL AX, R8
	XORL BX, R11
	MOVL R8, (DI)
	MOVL R11, -4(DI)(DX*1)
	RET

small_bytes:
	TESTQ DX, DX
	JZ    small_done
	MOVB  (SI), R8
	XORB  AX, R8
	MOVB  R8, (DI)
	SHRL  $8, AX
	INCQ  SI
	INCQ  DI
	DECQ  DX
	JMP   small_bytes

small_done:
	RET
