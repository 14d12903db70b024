namespace LlmGateway.Api.Providers;

/// <summary>
/// The outcome of one upstream attempt once its headers arrived: either a response whose body the caller
/// reads (and must dispose), or a classified <see cref="ProviderFailure"/>.
/// </summary>
public sealed class UpstreamResponse : IDisposable
{
    private UpstreamResponse(HttpResponseMessage? message, ProviderFailure? failure, TimeSpan timeToHeaders)
    {
        Message = message;
        Failure = failure;
        TimeToHeaders = timeToHeaders;
    }

    public HttpResponseMessage? Message { get; }

    public ProviderFailure? Failure { get; }

    public TimeSpan TimeToHeaders { get; }

    public static UpstreamResponse Succeeded(HttpResponseMessage message, TimeSpan timeToHeaders) => new(message, null, timeToHeaders);

    public static UpstreamResponse Failed(ProviderFailure failure, TimeSpan elapsed) => new(null, failure, elapsed);

    public void Dispose() => Message?.Dispose();
}
