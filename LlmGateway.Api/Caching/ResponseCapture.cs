using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace LlmGateway.Api.Caching;

/// <summary>
/// Keeps a copy of the response body as the relays write it (through <c>Response.Body</c> or <c>BodyWriter</c>),
/// up to a bound; the client's bytes still go straight to the server's own writer, unbuffered.
/// </summary>
public sealed class ResponseCapture : IHttpResponseBodyFeature, IDisposable
{
    private readonly HttpContext context;
    private readonly IHttpResponseBodyFeature inner;
    private readonly ArrayBufferWriter<byte> copy = new(4096);
    private readonly int limit;
    private bool completed;

    private ResponseCapture(HttpContext context, int limit)
    {
        this.context = context;
        inner = context.Features.Get<IHttpResponseBodyFeature>()!;
        this.limit = limit;
        Writer = new TeeWriter(inner.Writer, this);
        Stream = new TeeStream(inner.Stream, this);
    }

    /// <summary>Called once, before the last byte of a complete answer goes out (or after the handler, at the latest).</summary>
    public Func<Task>? OnComplete { get; set; }

    /// <summary>True once the body outgrew the bound: the copy is incomplete and must not be stored.</summary>
    public bool Overflowed { get; private set; }

    public ReadOnlyMemory<byte> Captured => copy.WrittenMemory;

    public Stream Stream { get; }

    public PipeWriter Writer { get; }

    /// <summary>Starts capturing <paramref name="context"/>'s response; dispose to restore its own body feature.</summary>
    public static ResponseCapture Install(HttpContext context, int limit)
    {
        var capture = new ResponseCapture(context, limit);
        context.Features.Set<IHttpResponseBodyFeature>(capture);
        return capture;
    }

    public void Dispose()
    {
        if (ReferenceEquals(context.Features.Get<IHttpResponseBodyFeature>(), this))
        {
            context.Features.Set(inner);
        }
    }

    public void DisableBuffering() => inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        Overflowed = true;
        return inner.SendFileAsync(path, offset, count, cancellationToken);
    }

    public Task CompleteAsync() => inner.CompleteAsync();

    public async Task CompleteOnceAsync()
    {
        if (!completed && OnComplete is { } onComplete)
        {
            completed = true;
            await onComplete();
        }
    }

    /// <summary>The whole body is here: its Content-Length reached, or a stream's final event (<c>[DONE]</c>, <c>message_stop</c>) written.</summary>
    private bool LooksComplete()
    {
        if (completed || Overflowed || copy.WrittenCount == 0)
        {
            return false;
        }

        if (context.Response.ContentLength is { } length)
        {
            return copy.WrittenCount == length;
        }

        var tail = copy.WrittenSpan[Math.Max(0, copy.WrittenCount - 256)..].TrimEnd("\r\n "u8);
        return tail.EndsWith("[DONE]"u8) || tail.IndexOf("event: message_stop"u8) >= 0;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (Overflowed || bytes.IsEmpty)
        {
            return;
        }

        if (copy.WrittenCount + bytes.Length > limit)
        {
            Overflowed = true;
            copy.Clear();
            return;
        }

        copy.Write(bytes);
    }

    private sealed class TeeWriter(PipeWriter inner, ResponseCapture capture) : PipeWriter
    {
        private Memory<byte> lent;

        public override Memory<byte> GetMemory(int sizeHint = 0) => lent = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => (lent = inner.GetMemory(sizeHint)).Span;

        public override void Advance(int bytes)
        {
            capture.Append(lent.Span[..bytes]);
            lent = default;
            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            capture.Append(source.Span);
            return inner.WriteAsync(source, cancellationToken);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
            capture.LooksComplete() ? FlushAfterAsync(cancellationToken) : inner.FlushAsync(cancellationToken);

        private async ValueTask<FlushResult> FlushAfterAsync(CancellationToken cancellationToken)
        {
            await capture.CompleteOnceAsync();
            return await inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;
    }

    private sealed class TeeStream(Stream inner, ResponseCapture capture) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            capture.Append(buffer);
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            capture.Append(buffer.Span);
            if (capture.LooksComplete())
            {
                await capture.CompleteOnceAsync();
            }

            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
