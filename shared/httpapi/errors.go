package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"cloudmarket/shared/fault"
)

// statusOf is the one error→status table of API.md.
var statusOf = map[string]int{
	fault.InvalidParameter:      http.StatusBadRequest,
	fault.InvalidParameterValue: http.StatusBadRequest,
	fault.MissingParameter:      http.StatusBadRequest,
	fault.AuthFailure:           http.StatusUnauthorized,
	fault.UnauthorizedOperation: http.StatusForbidden,
	fault.ResourceNotFound:      http.StatusNotFound,
	fault.FailedOperation:       http.StatusConflict,
	fault.LimitExceeded:         http.StatusTooManyRequests,
	fault.InternalError:         http.StatusInternalServerError,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
}

// errorReply turns any error into the envelope. Unknown errors are logged and
// answered with a generic message: internals never reach the body.
func errorReply(ctx context.Context, err error, requestID string, log *slog.Logger) (int, errorBody) {
	if e, ok := fault.As(err); ok {
		if status, known := statusOf[e.Category()]; known {
			return status, errorBody{errorDetail{Code: e.Code, Message: e.Message, RequestID: requestID}}
		}
	}
	log.ErrorContext(ctx, "internal error", "err", err)
	return http.StatusInternalServerError, errorBody{errorDetail{
		Code: fault.InternalError, Message: "Something went wrong on our side; retry later, and quote the requestId if it persists.", RequestID: requestID,
	}}
}
