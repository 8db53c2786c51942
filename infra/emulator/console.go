package emulator

import (
	"embed"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"cloudmarket/shared/httpapi"
	"cloudmarket/shared/market"
)

// consoleFiles is the built console (console/ at the repository root, built
// by `make console`): a static single-page app served at /console/.
//
//go:embed all:console
var consoleFiles embed.FS

// serveConsole serves the console's files; any other path under /console/ is
// a page of the single-page app and gets index.html.
func (e *Emulator) serveConsole(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusNotFound, "ResourceNotFound.Route", "The console serves GET only.")
		return
	}
	if r.URL.Path == "/console" {
		http.Redirect(w, r, "/console/", http.StatusMovedPermanently)
		return
	}
	root, _ := fs.Sub(consoleFiles, "console")
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/console")
	name = strings.TrimPrefix(name, "/")
	st, err := fs.Stat(root, name)
	if err != nil && strings.HasPrefix(name, "assets/") { // a missing file, not a page
		writeError(w, http.StatusNotFound, "ResourceNotFound.File", "No such console file; reload the console.")
		return
	}
	if name == "" || err != nil || st.IsDir() {
		index, err := fs.ReadFile(root, "index.html")
		if err != nil {
			writeError(w, http.StatusNotFound, "ResourceNotFound.Console", "The console is not built; run make console.")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(index)
		return
	}
	if strings.HasPrefix(name, "assets/") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable") // content-hashed names
	}
	http.ServeFileFS(w, r, root, name)
}

// serveToken mints a local token for the console's role picker:
// POST /_local/token {"role", "sub"} → {"token"}. Local mode only, like the
// secret it signs with (production tokens come from the identity provider).
func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, "ResourceNotFound.Route", "POST /_local/token.")
		return
	}
	var in struct {
		Role string `json:"role"`
		Sub  string `json:"sub"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	roles := append([]string{market.RoleProvider, market.RoleBuyer}, market.OperatorRoles...)
	if err := dec.Decode(&in); err != nil || !slices.Contains(roles, in.Role) {
		writeError(w, http.StatusBadRequest, "InvalidParameter", `Send {"role": one of `+strings.Join(roles, ", ")+`, "sub": "<account id>"}.`)
		return
	}
	in.Sub = strings.TrimSpace(in.Sub)
	if in.Sub == "" || len(in.Sub) > 64 {
		writeError(w, http.StatusBadRequest, "InvalidParameterValue.Sub", "sub is the account id: 1 to 64 characters.")
		return
	}
	tok, err := httpapi.Mint([]byte(e.App.Config.JWTSecret), in.Sub, []string{in.Role}, 12*time.Hour, time.Now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}
