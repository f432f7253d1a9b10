//go:build !purego

#include "textflag.h"

// func xorNEON(dst, src *byte, n int, key uint32)
// R0 = dst, R1 = src, R2 = bytes left, R3 = key (byte 0 applies to *src).
// Every step before the byte loop is a multiple of 4 bytes, so the key never
// needs rotating until the last 1-3 bytes. V16-V19 are used rather than
// V8-V15, whose low halves are callee-saved in the platform ABI.
TEXT ·xorNEON(SB), NOSPLIT, $0-28
	MOVD  dst+0(FP), R0
	MOVD  src+8(FP), R1
	MOVD  n+16(FP), R2
	MOVWU key+24(FP), R3
	VDUP  R3, V0.S4
	CMP   $128, R2
	BLT   loop16

loop128:
	VLD1.P 64(R1), [V1.B16, V2.B16, V3.B16, V4.B16]
	VLD1.P 64(R1), [V16.B16, V17.B16, V18.B16, V19.B16]
	VEOR   V0.B16, V1.B16, V1.B16
	VEOR   V0.B16, V2.B16, V2.B16
	VEOR   V0.B16, V3.B16, V3.B16
	VEOR   V0.B16, V4.B16, V4.B16
	VEOR   V0.B16, V16.B16, V16.B16
	VEOR   V0.B16, V17.B16, V17.B16
	VEOR   V0.B16, V18.B16, V18.B16
	VEOR   V0.B16, V19.B16, V19.B16
	VST1.P [V1.B16, V2.B16, V3.B16, V4.B16], 64(R0)
	VST1.P [V16.B16, V17.B16, V18.B16, V19.B16], 64(R0)
	SUB    $128, R2
	CMP    $128, R2
	BGE    loop128

loop16:
	CMP    $16, R2
	BLT    tail8
	VLD1.P 16(R1), [V1.B16]
	VEOR   V0.B16, V1.B16, V1.B16
	VST1.P [V1.B16], 16(R0)
	SUB    $16, R2
	B      loop16

tail8:
	CMP    $8, R2
	BLT    tail4
	ORR    R3<<32, R3, R4
	MOVD.P 8(R1), R5
	EOR    R4, R5, R5
	MOVD.P R5, 8(R0)
	SUB    $8, R2

tail4:
	CMP     $4, R2
	BLT     tail1
	MOVWU.P 4(R1), R5
	EORW    R3, R5, R5
	MOVW.P  R5, 4(R0)
	SUB     $4, R2

tail1:
	CBZ     R2, done
	MOVBU.P 1(R1), R5
	EORW    R3, R5, R5
	MOVB.P  R5, 1(R0)
	LSRW    $8, R3, R3
	SUB     $1, R2
	B       tail1

done:
	RET
