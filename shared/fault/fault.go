// Package fault is the typed domain error with a stable code in the cloud API
// convention (Category.Detail). Adapters map the category to a status in one
// place (httpapi); the domain only says what went wrong and what to fix.
package fault

import (
	"errors"
	"fmt"
)

// Categories of API.md; the HTTP status of each lives in httpapi's one table.
const (
	InvalidParameter      = "InvalidParameter"
	InvalidParameterValue = "InvalidParameterValue"
	MissingParameter      = "MissingParameter"
	AuthFailure           = "AuthFailure"
	UnauthorizedOperation = "UnauthorizedOperation"
	ResourceNotFound      = "ResourceNotFound"
	FailedOperation       = "FailedOperation"
	LimitExceeded         = "LimitExceeded"
	InternalError         = "InternalError"
)

// Error is a failure the caller can act on.
type Error struct {
	Code    string // e.g. "FailedOperation.AlreadyApplied"
	Message string // plain words: what is wrong and what to fix
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Category is the part of the code before the first dot.
func (e *Error) Category() string {
	for i := 0; i < len(e.Code); i++ {
		if e.Code[i] == '.' {
			return e.Code[:i]
		}
	}
	return e.Code
}

// New makes an error with a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// As finds a *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// HasCode tells whether err carries exactly this code.
func HasCode(err error, code string) bool {
	e, ok := As(err)
	return ok && e.Code == code
}

// Shorthands for the common categories.

func Invalid(detail, format string, args ...any) *Error {
	return New(InvalidParameterValue+"."+detail, format, args...)
}

func Missing(field string) *Error {
	return New(MissingParameter, "%s is required.", field)
}

func Failed(detail, format string, args ...any) *Error {
	return New(FailedOperation+"."+detail, format, args...)
}

func NotFound(detail, format string, args ...any) *Error {
	return New(ResourceNotFound+"."+detail, format, args...)
}

func Forbidden(format string, args ...any) *Error {
	return New(UnauthorizedOperation, format, args...)
}
