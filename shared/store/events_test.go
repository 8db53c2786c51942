package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"cloudmarket/shared/market"
)

// sample fills every field of a payload with a non-zero value, so a field
// the store drops or renames shows up as a difference.
func sample(v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("v-" + v.Type().Field(i).Name)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(1000 + i))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			s := reflect.MakeSlice(f.Type(), 1, 1)
			if s.Index(0).Kind() == reflect.String {
				s.Index(0).SetString("v-" + v.Type().Field(i).Name)
			} else {
				sample(s.Index(0))
			}
			f.Set(s)
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(time.Date(2026, 10, 8, 1, 2, 3, 4_000_000, time.UTC)))
			}
		}
	}
}

// Every event type's every payload shape survives the store unchanged.
func TestEventPayloadsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, err := OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range market.EventTypes() {
		for shape := 0; ; shape++ {
			data, ok := nthPayload(t, typ, shape)
			if !ok {
				break
			}
			subject := string(typ) + "#" + market.PayloadShape(data)
			_, err := Transact(ctx, s, func(tx *Tx) (market.Event, error) {
				return tx.Record(market.Event{Type: typ, At: time.Now(), Actor: "t", Subject: subject, Data: data})
			})
			if err != nil {
				t.Fatalf("%s: %v", subject, err)
			}
			evs, err := s.Events(ctx, EventQuery{Subject: subject})
			if err != nil || len(evs) != 1 {
				t.Fatalf("%s: %v %v", subject, evs, err)
			}
			if !reflect.DeepEqual(evs[0].Data, data) {
				t.Errorf("%s:\n wrote %#v\n read  %#v", subject, data, evs[0].Data)
			}
		}
	}
}

// nthPayload returns a sampled value of an event type's n-th payload shape;
// a type without data has one round, with nil.
func nthPayload(t *testing.T, typ market.EventType, n int) (any, bool) {
	shapes := market.PayloadShapes(typ)
	if len(shapes) == 0 {
		return nil, n == 0
	}
	if n >= len(shapes) {
		return nil, false
	}
	p, err := market.NewPayload(typ, shapes[n])
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(p).Elem()
	sample(v)
	return v.Interface(), true
}

// A payload of the wrong shape never reaches the audit trail.
func TestRecordRefusesMistypedEvent(t *testing.T) {
	ctx := context.Background()
	s, _ := OpenMemory(ctx)
	_, err := Transact(ctx, s, func(tx *Tx) (market.Event, error) {
		return tx.Record(market.Event{Type: market.EventOrderPaid, At: time.Now(), Subject: "x", Data: market.DepositOwedData{OwedFen: 1}})
	})
	if err == nil {
		t.Fatal("a deposit payload on order.paid was recorded")
	}
}
