namespace LlmGateway.Api.Limits;

/// <summary>The Lua scripts of the limits, loaded from the embedded <c>Scripts/*.lua</c>.</summary>
public static class LimitScripts
{
    // Evaluated by text: StackExchange.Redis sends EVALSHA once the server knows the script.
    public static readonly string Admit = Read("admit.lua");
    public static readonly string Settle = Read("settle.lua");

    public static string Read(string name)
    {
        using var stream = typeof(LimitScripts).Assembly.GetManifestResourceStream($"LlmGateway.Api.Limits.Scripts.{name}")
            ?? throw new InvalidOperationException($"Embedded script {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
