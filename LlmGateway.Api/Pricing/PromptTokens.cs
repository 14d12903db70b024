using System.Text;
using Microsoft.ML.Tokenizers;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// The one prompt-token estimate of a request, for its budget reservation and its context-window routing: the o200k
/// tokenizer over the body (messages, system and tools alike) up to 64 KB, beyond that bytes/3 (tokenizing megabytes on
/// the hot path is not worth it, and a reservation had better be high than low).
/// </summary>
public static class PromptTokens
{
    private const int TokenizeUpToBytes = 64 * 1024;
    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public static long Estimate(ReadOnlySpan<byte> body)
    {
        if (body.Length > TokenizeUpToBytes)
        {
            return body.Length / 3;
        }

        try
        {
            return O200k.Value.CountTokens(Encoding.UTF8.GetString(body));
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or ArgumentException)
        {
            return body.Length / 3;
        }
    }
}
