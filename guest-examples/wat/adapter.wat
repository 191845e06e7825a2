;; A delivery adapter written by hand in the WebAssembly text format: it logs
;; "<type> from <source>" for every signal through the host's `log` import.
;;
;; This is a *core* module; build.sh embeds the WIT world into it and wraps it into a
;; component with wasm-tools. It implements the canonical ABI by hand:
;; - `cabi_realloc` is a bump allocator over one page after the static data; every
;;   `cabi_post_*` function (called once the host has read a result) resets it, so nothing
;;   outlives a call;
;; - the `target` resource is created with the `[resource-new]target` intrinsic; its
;;   representation is unused (there are no options to keep).
(module
  ;; jido:dispatch/log@0.1.0: log(level, message, fields)
  (import "jido:dispatch/log@0.1.0" "log" (func $log (param i32 i32 i32 i32 i32)))
  ;; the resource intrinsic for our exported `target`
  (import "[export]jido:dispatch/adapter@0.1.0" "[resource-new]target" (func $target_new (param i32) (result i32)))

  (memory (export "memory") 2)
  ;; static data: " from " at 16, "{}" at 24, the error at 32; the return area at 64; the heap from 1024.
  (data (i32.const 16) " from ")
  (global $heap (mut i32) (i32.const 1024))

  (func $cabi_realloc (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    ;; align the bump pointer
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    ;; grow memory when the heap passes the end
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.div_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 65536)) (i32.const 1))) (i32.const -1))
          (then unreachable))))
    ;; copy a reallocated block
    (if (local.get $old_size) (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (local.get $ptr))

  (func $reset (global.set $heap (i32.const 1024)))

;; validate-opts(opts: string) -> result<string, string>: the adapter takes no options,
  ;; so it accepts exactly an empty JSON object (`{}`, whitespace allowed) and returns `{}`.
  (func $skip_ws (param $at i32) (param $end i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (br_if $done (i32.eqz (i32.or (i32.or (i32.eq (i32.load8_u (local.get $at)) (i32.const 32))
                                              (i32.eq (i32.load8_u (local.get $at)) (i32.const 9)))
                                      (i32.or (i32.eq (i32.load8_u (local.get $at)) (i32.const 10))
                                              (i32.eq (i32.load8_u (local.get $at)) (i32.const 13))))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (local.get $at))
  (func (export "jido:dispatch/adapter@0.1.0#validate-opts") (param $ptr i32) (param $len i32) (result i32)
    (local $at i32) (local $end i32) (local $ok i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (local.set $at (call $skip_ws (local.get $ptr) (local.get $end)))
    (if (i32.lt_u (local.get $at) (local.get $end))
      (then (if (i32.eq (i32.load8_u (local.get $at)) (i32.const 123))
        (then
          (local.set $at (call $skip_ws (i32.add (local.get $at) (i32.const 1)) (local.get $end)))
          (if (i32.lt_u (local.get $at) (local.get $end))
            (then (if (i32.eq (i32.load8_u (local.get $at)) (i32.const 125))
              (then
                (local.set $at (call $skip_ws (i32.add (local.get $at) (i32.const 1)) (local.get $end)))
                (local.set $ok (i32.eq (local.get $at) (local.get $end)))))))))))
    (if (local.get $ok)
      (then
        ;; ok("{}")
        (i32.store (i32.const 64) (i32.const 0))
        (i32.store (i32.const 68) (i32.const 24))
        (i32.store (i32.const 72) (i32.const 2)))
      (else
        ;; err("takes no options: expected {}")
        (i32.store (i32.const 64) (i32.const 1))
        (i32.store (i32.const 68) (i32.const 32))
        (i32.store (i32.const 72) (i32.const 29))))
    (i32.const 64))
  (data (i32.const 24) "{}")
  (data (i32.const 32) "takes no options: expected {}")
  (func (export "cabi_post_jido:dispatch/adapter@0.1.0#validate-opts") (param i32) (call $reset))

  ;; [static]target.open(opts: string) -> result<target, string>
  (func (export "jido:dispatch/adapter@0.1.0#[static]target.open") (param i32 i32) (result i32)
    (i32.store (i32.const 64) (i32.const 0))
    (i32.store (i32.const 68) (call $target_new (i32.const 0)))
    (i32.const 64))
  (func (export "cabi_post_jido:dispatch/adapter@0.1.0#[static]target.open") (param i32) (call $reset))

  ;; "<type> from <source>" into the heap, then log(info, message, no fields)
  (func $log_signal (param $signal i32)
    (local $type_ptr i32) (local $type_len i32) (local $src_ptr i32) (local $src_len i32) (local $msg i32) (local $at i32)
    ;; signal record: id at 0, source at 8, type at 16 (each a ptr/len pair)
    (local.set $src_ptr (i32.load (i32.add (local.get $signal) (i32.const 8))))
    (local.set $src_len (i32.load (i32.add (local.get $signal) (i32.const 12))))
    (local.set $type_ptr (i32.load (i32.add (local.get $signal) (i32.const 16))))
    (local.set $type_len (i32.load (i32.add (local.get $signal) (i32.const 20))))
    (local.set $msg (call $cabi_realloc (i32.const 0) (i32.const 0) (i32.const 1)
      (i32.add (i32.add (local.get $type_len) (local.get $src_len)) (i32.const 6))))
    (memory.copy (local.get $msg) (local.get $type_ptr) (local.get $type_len))
    (local.set $at (i32.add (local.get $msg) (local.get $type_len)))
    (memory.copy (local.get $at) (i32.const 16) (i32.const 6))
    (local.set $at (i32.add (local.get $at) (i32.const 6)))
    (memory.copy (local.get $at) (local.get $src_ptr) (local.get $src_len))
    (call $log (i32.const 2) (local.get $msg) (i32.add (i32.add (local.get $type_len) (local.get $src_len)) (i32.const 6)) (i32.const 0) (i32.const 0)))

  ;; [method]target.deliver(self, signal) -> result<_, delivery-error>: the parameters'
  ;; flat form is longer than 16 values, so they arrive as one pointer to the tuple
  ;; (self: the handle at offset 0, the signal record at offset 4)
  (func (export "jido:dispatch/adapter@0.1.0#[method]target.deliver") (param $args i32) (result i32)
    (call $log_signal (i32.add (local.get $args) (i32.const 4)))
    (i32.store (i32.const 64) (i32.const 0))
    (i32.const 64))
  (func (export "cabi_post_jido:dispatch/adapter@0.1.0#[method]target.deliver") (param i32) (call $reset))

  ;; [method]target.deliver-batch(self, signals: list<signal>) -> list<result<_, delivery-error>>
  ;; each signal record is 104 bytes; each result 56 bytes (tag at 0, 8-aligned)
  (func (export "jido:dispatch/adapter@0.1.0#[method]target.deliver-batch") (param $self i32) (param $list i32) (param $n i32) (result i32)
    (local $i i32) (local $results i32)
    (local.set $results (call $cabi_realloc (i32.const 0) (i32.const 0) (i32.const 8) (i32.mul (local.get $n) (i32.const 56))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $log_signal (i32.add (local.get $list) (i32.mul (local.get $i) (i32.const 104))))
        (i32.store8 (i32.add (local.get $results) (i32.mul (local.get $i) (i32.const 56))) (i32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.store (i32.const 64) (local.get $results))
    (i32.store (i32.const 68) (local.get $n))
    (i32.const 64))
  (func (export "cabi_post_jido:dispatch/adapter@0.1.0#[method]target.deliver-batch") (param i32) (call $reset))

  ;; [method]target.health-check(self) -> result<_, string>: always healthy
  (func (export "jido:dispatch/adapter@0.1.0#[method]target.health-check") (param i32) (result i32)
    (i32.store (i32.const 64) (i32.const 0))
    (i32.const 64))
  (func (export "cabi_post_jido:dispatch/adapter@0.1.0#[method]target.health-check") (param i32) (call $reset))

  ;; the resource destructor: nothing to free
  (func (export "jido:dispatch/adapter@0.1.0#[dtor]target") (param i32))
)
