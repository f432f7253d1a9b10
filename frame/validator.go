package frame

// MaskRule says what a receiver expects of the mask bit (RFC 6455 §5.1).
type MaskRule uint8

const (
	// MaskRequired is for a server receiving from a client, the default:
	// every frame must be masked, an unmasked one is [ErrUnmasked] (1002).
	MaskRequired MaskRule = iota
	// MaskForbidden is for a client receiving from a server: a masked frame
	// is [ErrMasked] (1002).
	MaskForbidden
	// MaskAny accepts both, for a client talking to a server that masks
	// (Ktor's `masking` option).
	MaskAny
)

// Validator checks frame headers against RFC 6455 §5 as they arrive and
// tracks whether a fragmented message is open.
//
// The zero value allows no RSV bits, applies [MaskRequired], has no frame
// size limit and no open message. The exported fields may be changed between
// calls to [Validator.Check] (for example once extensions are negotiated).
// A Validator belongs to one connection direction and is not safe for
// concurrent use.
type Validator struct {
	// AllowedRsv holds the RSV bits claimed by negotiated extensions, e.g.
	// [Rsv1] for permessage-deflate. Other RSV bits are [ErrReservedBits].
	AllowedRsv byte
	// Mask is the rule for the mask bit. Values other than the three
	// constants behave like [MaskRequired].
	Mask MaskRule

	// The byte-sized state sits with the byte-sized settings, ahead of
	// MaxFrameSize, so that a Validator is 16 bytes, not 24: every session
	// embeds one.
	open  bool   // a fragmented message is in progress
	msgOp Opcode // opcode of the message the last data frame belonged to

	// MaxFrameSize, when positive, is the largest payload a single frame may
	// carry; a longer one is [ErrFrameTooBig] (1009). Zero means no limit.
	// Message size limits span frames and are the session's job.
	MaxFrameSize int64
}

// Check validates h and, for data frames, advances the fragmentation state
// (§5.4). It returns nil or one of the sentinel [*CloseReason] values:
// [ErrReservedBits], [ErrReservedOpcode], [ErrControlFragmented],
// [ErrControlTooLong], [ErrLengthOverflow], [ErrUnmasked], [ErrMasked],
// [ErrFrameTooBig], [ErrUnexpectedContinuation], [ErrMessageNotFinished].
// On error the state is left unchanged.
//
// Control frames may arrive between the fragments of a message and do not
// change the state. Check only tests RSV bits against AllowedRsv; finer rules
// (permessage-deflate allows RSV1 on the first frame of a message only) are
// left to the extension. Check allocates nothing.
func (v *Validator) Check(h *Header) error {
	if h.Rsv&^v.AllowedRsv != 0 {
		return ErrReservedBits
	}
	if h.Op.IsReserved() {
		return ErrReservedOpcode
	}
	if h.Op.IsControl() {
		if !h.Fin {
			return ErrControlFragmented
		}
		if h.Length > MaxControlPayload {
			return ErrControlTooLong
		}
	}
	if h.Length < 0 {
		return ErrLengthOverflow
	}
	switch v.Mask {
	case MaskForbidden:
		if h.Masked {
			return ErrMasked
		}
	case MaskAny:
	default:
		if !h.Masked {
			return ErrUnmasked
		}
	}
	if v.MaxFrameSize > 0 && h.Length > v.MaxFrameSize {
		return ErrFrameTooBig
	}
	if h.Op.IsControl() {
		return nil
	}
	if h.Op == OpContinuation {
		if !v.open {
			return ErrUnexpectedContinuation
		}
	} else {
		if v.open {
			return ErrMessageNotFinished
		}
		v.msgOp = h.Op
	}
	v.open = !h.Fin
	return nil
}

// MessageOpen reports whether a fragmented message is open: a text or binary
// frame without FIN was accepted and its final continuation has not been.
func (v *Validator) MessageOpen() bool { return v.open }

// MessageOp returns the opcode ([OpText] or [OpBinary]) of the message the
// last data frame accepted by [Validator.Check] belongs to; for a
// continuation frame that is the opcode of the frame that opened the
// message. It stays valid after the final fragment, until the next data
// frame, so a caller can learn the message type of a final continuation
// after checking it. It is [OpContinuation] before any data frame.
func (v *Validator) MessageOp() Opcode { return v.msgOp }

// Reset forgets any open message, keeping AllowedRsv, Mask and
// MaxFrameSize.
func (v *Validator) Reset() {
	v.open = false
	v.msgOp = OpContinuation
}
