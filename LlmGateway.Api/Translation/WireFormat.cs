namespace LlmGateway.Api.Translation;

/// <summary>The wire format an upstream speaks.</summary>
public enum WireFormat
{
    OpenAi,
    Anthropic,
}

public enum UpstreamOperation
{
    Chat,
    Embeddings,
}
