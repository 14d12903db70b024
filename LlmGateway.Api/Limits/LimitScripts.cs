namespace LlmGateway.Api.Limits;

/// <summary>The Lua scripts of the limits, loaded from the embedded <c>Scripts/*.lua</c>.</summary>
public static class LimitScripts
{
    public static readonly RedisScript Admit = new(Read("admit.lua"));
    public static readonly RedisScript Settle = new(Read("settle.lua"));
    public static readonly RedisScript Replay = new(Read("replay.lua"));

    public static string Read(string name)
    {
        using var stream = typeof(LimitScripts).Assembly.GetManifestResourceStream($"LlmGateway.Api.Limits.Scripts.{name}")
            ?? throw new InvalidOperationException($"Embedded script {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
