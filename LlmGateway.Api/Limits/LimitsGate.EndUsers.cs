using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>The end customer's scope joins the key's cached scopes for one request (it varies per request, so it is not cached with them).</summary>
public sealed partial class LimitsGate
{
    private static ScopeSet WithEndUser(ScopeSet set, LimitScope? endUser)
    {
        if (endUser is null)
        {
            return set;
        }

        var scopes = new LimitScope[set.Scopes.Count + 1];
        for (var i = 0; i < set.Scopes.Count; i++)
        {
            scopes[i] = set.Scopes[i];
        }

        scopes[^1] = endUser;
        var keys = new RedisKey[set.Keys.Length + LimitScope.KeyCount];
        set.Keys.CopyTo(keys, 0);
        endUser.WriteRedisKeys(keys, set.Keys.Length);
        return new ScopeSet(scopes, keys, set.ValidUntil);
    }
}
