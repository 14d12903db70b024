using LlmGateway.Api.Providers;

namespace LlmGateway.Tests.Providers;

/// <summary>
/// Which timeouts the request's own length may explain (<see cref="UpstreamSender.MayOutlastTimeout"/>): those are judged by
/// the gateway's ping before they count against the deployment (FailoverTests), the others count at once.
/// </summary>
public sealed class UpstreamTimeoutTests
{
    [Theory]
    [InlineData("""{"model":"m","messages":[]}""", 1, true)] // no output limit: the answer may be as long as the model writes
    [InlineData("""{"model":"m","max_tokens":null}""", 1, true)]
    [InlineData("""{"model":"m","max_tokens":201}""", 1, true)] // more than 200 tokens a second for 1 s
    [InlineData("""{"model":"m","max_completion_tokens":50000}""", 60, true)]
    [InlineData("""{"model":"m","max_output_tokens":20000,"max_tokens":10}""", 60, true)] // the largest limit counts
    [InlineData("""{"model":"m","input":"a sentence to embed"}""", 1, true)]
    [InlineData("""{"model":"m","max_tokens":200}""", 1, false)] // fits in the timeout: only a slow deployment times out
    [InlineData("""{"model":"m","max_tokens":16,"stream":false}""", 1, false)]
    [InlineData("""{"model":"m","stream":true}""", 1, false)] // a stream's headers come first, whatever its length
    [InlineData("""{"stream":true,"max_tokens":50000}""", 1, false)]
    [InlineData("""[1,2]""", 1, false)]
    [InlineData("""not json""", 1, false)]
    public void ATimeoutIsAmbiguousOnlyWhenANonStreamedAnswerMayOutlastIt(string body, int timeoutSeconds, bool ambiguous) =>
        Assert.Equal(ambiguous, UpstreamSender.MayOutlastTimeout(System.Text.Encoding.UTF8.GetBytes(body), TimeSpan.FromSeconds(timeoutSeconds)));
}
