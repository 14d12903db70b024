using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// A Lua script called by its SHA-1 (<c>EVALSHA</c>), falling back to <c>EVAL</c> once when the server does not know it
/// (restarted or flushed), which loads it again. Passing the script text to StackExchange.Redis instead costs a hash
/// of the whole text on every call to find its cached SHA.
/// </summary>
public sealed class RedisScript(string text)
{
    // Redis names a script by the SHA-1 of its text; not a security use.
    private readonly byte[] sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));

    public string Text => text;

    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync db, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await db.ScriptEvaluateAsync(sha1, keys, values);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(text, keys, values, CommandFlags.NoScriptCache);
        }
    }
}
