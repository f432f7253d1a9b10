package deflate

// TestExtension returns an extension of f with no context takeover either
// way and 15-bit windows, without a negotiation.
func (f *Factory) TestExtension(server bool) *Extension {
	return f.extension(Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true,
		ServerMaxWindowBits: MaxWindowBits, ClientMaxWindowBits: MaxWindowBits}, server)
}

// Budget exposes the inflate budget of a payload of n bytes.
func (e *Extension) Budget(n int, limit int64) int64 { return e.budget(n, limit) }
