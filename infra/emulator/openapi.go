package emulator

import (
	"net/http"

	"cloudmarket/infra/openapi"
	"cloudmarket/shared/app"
	"cloudmarket/shared/httpapi"
)

// serveOpenAPI answers the API's OpenAPI 3.1 document, built from the
// catalogue the emulator routes by.
func (e *Emulator) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "UnsupportedOperation", "GET /openapi.json")
		return
	}
	doc, err := openapi.Document(app.Catalogue, httpapi.Shapes)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(doc)
}
