package engine

import (
	"github.com/surgews/surge/internal/seam"
	"github.com/surgews/surge/session"
)

// newSessionFunc makes one session of a route over its driver.
type newSessionFunc = func(seam.Role, seam.Driver, session.Request) (*session.Session, seam.Endpoint)

// newRoute is seam.NewRoute with its types: it binds the sessions of one
// route (a server path, or one dial) to their settings and handler. Package
// session, which engine imports, has registered it by the time this runs.
var newRoute = seam.NewRoute.(func(cfg *session.Config, h session.Handler, run func(*session.Session), server any, pool seam.Pool) newSessionFunc)
