using System.Net;

namespace LlmGateway.Api.Routing;

/// <summary>
/// A response body whose first byte must arrive before a deadline (<c>ttfb_timeout</c>): a late first read throws
/// <see cref="TimeoutException"/>, which the relays classify as a timeout before the first byte, so the router fails over.
/// Later reads are untouched (the relays' idle timeout applies).
/// </summary>
internal sealed class FirstByteDeadlineContent : HttpContent
{
    private readonly HttpContent inner;
    private readonly TimeSpan remaining;
    private readonly TimeSpan limit;

    public FirstByteDeadlineContent(HttpContent inner, TimeSpan remaining, TimeSpan limit)
    {
        this.inner = inner;
        this.remaining = remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1);
        this.limit = limit;
        foreach (var header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new DeadlineStream(await inner.ReadAsStreamAsync(cancellationToken), remaining, limit);

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await using var source = await CreateContentReadStreamAsync(CancellationToken.None);
        await source.CopyToAsync(stream);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class DeadlineStream(Stream inner, TimeSpan remaining, TimeSpan limit) : Stream
    {
        private bool started;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (started)
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(remaining);
            try
            {
                var read = await inner.ReadAsync(buffer, deadline.Token);
                started = true;
                return read;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no first byte within the ttfb_timeout of {limit.TotalSeconds:0.###} s");
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
