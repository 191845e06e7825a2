//! The linker for synchronous calls.
//!
//! An async call into a component runs on a fiber, which costs about a microsecond per
//! call whatever the component does. A component that cannot wait in the host (it imports
//! neither `http` nor `channel`, nor WASI's filesystem or sockets) and whose calls are not
//! throttled (the operator's own code: the built-ins, or a library user's choice) gains
//! nothing from the fiber, so it is instantiated from this linker and called synchronously,
//! on the caller's stack. The epoch deadline, memory limit and fuel bound it as before.
//!
//! WASI's blocking I/O functions are async in `wasmtime-wasi`; here they are shadowed by
//! synchronous versions that finish what is ready at once (stdout and stderr, which are
//! memory pipes, the process's own stdio or closed, always are) and trap with a clear
//! message when they would have to wait (a sleep, a read from stdin), since a synchronous
//! call cannot give up its thread.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable, ResourceType};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::p2::bindings::io::poll::{Host as _, HostPollable};
use wasmtime_wasi::p2::bindings::io::streams::{
    Host as _, HostInputStream, HostOutputStream, StreamError as WitStreamError,
};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, DynPollable, StreamResult};

use super::bindings::sync_calls::jido::dispatch::{crypto, log};
use super::state::HostState;
use super::world::ImportInfo;

/// The `wasi:io` version `wasmtime-wasi` 48 defines (components importing an older 0.2.x
/// resolve to it).
const WASI_IO: &str = "0.2.12";

/// Imports a synchronously called component may have: everything that never waits.
const SYNC_IMPORTS: &[&str] = &[
    "jido:dispatch/log@",
    "jido:dispatch/crypto@",
    "jido:dispatch/types@",
    "jido:dispatch/view@",
    "wasi:io/",
    "wasi:cli/",
    "wasi:clocks/",
    "wasi:random/",
];

/// Whether a component with these imports and this throttling runs synchronously.
pub(super) fn runs_synchronously(imports: &[ImportInfo], throttled: bool) -> bool {
    !throttled && imports.iter().all(|i| SYNC_IMPORTS.iter().any(|prefix| i.name.starts_with(prefix)))
}

/// A linker with WASI (its blocking I/O synchronous), `log` and `crypto`, all synchronous.
pub(super) fn sync_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    linker.allow_shadowing(true);
    shadow_poll(linker)?;
    shadow_streams(linker)?;
    linker.allow_shadowing(false);
    log::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    crypto::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    super::view::add_to_linker(linker)?;
    Ok(())
}

/// Runs `future` to completion if it is ready at once; a synchronous call cannot wait.
fn at_once<F: Future>(what: &str, future: F) -> wasmtime::Result<F::Output> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => Err(wasmtime::Error::msg(format!(
            "{what} would wait, and this component is called synchronously (it imports \
             neither http nor channel); a component that waits must be throttled or import them"
        ))),
    }
}

/// A stream operation's result as the guest sees it (a trap stays a trap).
fn stream_result<T>(
    table: &mut ResourceTable,
    result: StreamResult<T>,
) -> wasmtime::Result<Result<T, WitStreamError>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(error) => Ok(Err(table.convert_stream_error(error)?)),
    }
}

fn table(state: &mut HostState) -> &mut ResourceTable {
    state.ctx().table
}

fn shadow_poll(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    let mut poll = linker.instance(&format!("wasi:io/poll@{WASI_IO}"))?;
    poll.func_wrap("poll", |mut store, (pollables,): (Vec<Resource<DynPollable>>,)| {
        let table = table(store.data_mut());
        Ok((at_once("wasi:io/poll.poll", table.poll(pollables))??,))
    })?;
    poll.func_wrap("[method]pollable.block", |mut store, (pollable,): (Resource<DynPollable>,)| {
        let table = table(store.data_mut());
        at_once("wasi:io/poll.pollable.block", HostPollable::block(table, pollable))??;
        Ok(())
    })?;
    poll.func_wrap("[method]pollable.ready", |mut store, (pollable,): (Resource<DynPollable>,)| {
        let table = table(store.data_mut());
        Ok((at_once("wasi:io/poll.pollable.ready", HostPollable::ready(table, pollable))??,))
    })?;
    Ok(())
}

fn shadow_streams(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    let mut streams = linker.instance(&format!("wasi:io/streams@{WASI_IO}"))?;
    streams.resource("input-stream", ResourceType::host::<DynInputStream>(), |mut store, rep| {
        let table = table(store.data_mut());
        at_once("dropping an input stream", HostInputStream::drop(table, Resource::new_own(rep)))?
    })?;
    streams.resource("output-stream", ResourceType::host::<DynOutputStream>(), |mut store, rep| {
        let table = table(store.data_mut());
        at_once("dropping an output stream", HostOutputStream::drop(table, Resource::new_own(rep)))?
    })?;
    streams.func_wrap(
        "[method]input-stream.blocking-read",
        |mut store, (stream, len): (Resource<DynInputStream>, u64)| {
            let table = table(store.data_mut());
            let read = at_once("a blocking read", HostInputStream::blocking_read(table, stream, len))?;
            Ok((stream_result(table, read)?,))
        },
    )?;
    streams.func_wrap(
        "[method]input-stream.blocking-skip",
        |mut store, (stream, len): (Resource<DynInputStream>, u64)| {
            let table = table(store.data_mut());
            let skipped = at_once("a blocking skip", HostInputStream::blocking_skip(table, stream, len))?;
            Ok((stream_result(table, skipped)?,))
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-write-and-flush",
        |mut store, (stream, bytes): (Resource<DynOutputStream>, Vec<u8>)| {
            let table = table(store.data_mut());
            let written = at_once(
                "a blocking write",
                HostOutputStream::blocking_write_and_flush(table, stream, bytes),
            )?;
            Ok((stream_result(table, written)?,))
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-write-zeroes-and-flush",
        |mut store, (stream, len): (Resource<DynOutputStream>, u64)| {
            let table = table(store.data_mut());
            let written = at_once(
                "a blocking write",
                HostOutputStream::blocking_write_zeroes_and_flush(table, stream, len),
            )?;
            Ok((stream_result(table, written)?,))
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-flush",
        |mut store, (stream,): (Resource<DynOutputStream>,)| {
            let table = table(store.data_mut());
            let flushed = at_once("a blocking flush", HostOutputStream::blocking_flush(table, stream))?;
            Ok((stream_result(table, flushed)?,))
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-splice",
        |mut store, (to, from, len): (Resource<DynOutputStream>, Resource<DynInputStream>, u64)| {
            let table = table(store.data_mut());
            let spliced =
                at_once("a blocking splice", HostOutputStream::blocking_splice(table, to, from, len))?;
            Ok((stream_result(table, spliced)?,))
        },
    )?;
    Ok(())
}
