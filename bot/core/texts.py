"""Every user-facing string, in English and Chinese. Nothing else in the bot writes prose."""

from __future__ import annotations

import re

__all__ = ["LANGUAGES", "chat_language", "how_long", "language_of", "t", "t_count"]

LANGUAGES = ("en", "zh")
_CJK = re.compile(r"[\u3400-\u9fff]")

_TEXTS: dict[str, tuple[str, str]] = {
    # -- greetings and help
    "welcome": (
        "👋 Hi! Describe an image and I'll generate it with NemoVideo, then turn your images "
        "into a 1080p MP4 slideshow.\nTry: “generate an image of a sunset over a mountain "
        "lake”, then “export”. Send /help for everything I can do.",
        "👋 你好！描述一张图片，我会用 NemoVideo 生成它，再把图片做成 1080p MP4 幻灯片视频。\n"
        "试试：“生成一张山间湖泊日落的图片”，然后说“导出”。发送 /help 查看全部功能。",
    ),
    "help": (
        "What I understand:\n"
        "• Describe what you want: “generate an image of …”, “add a title "
        '"…"”, “add background music”\n'
        "• Send images, videos or audio to add them to your project\n"
        "• export — render the 1080p MP4 (also: download, send me the video)\n"
        "• status — your timeline · credits — your balance",
        "我能理解：\n"
        '• 描述你想要的：“生成一张……的图片”、“添加标题 "……"”、“添加背景音乐”\n'
        "• 发送图片、视频或音频，加入你的项目\n"
        "• 导出 — 渲染 1080p MP4（也可以说：下载）\n"
        "• 状态 — 查看时间线 · 积分 — 查看余额",
    ),
    "help_commands": ("Commands:", "命令："),
    "help_command": ("• {usage} — {description}", "• {usage} — {description}"),
    "help_typed_buttons": (
        "• Buttons show as [🔁 Again]: type the word to press one — again, variation, "
        "resend, retry, export, status, credits, new, web",
        "• 按钮显示为 [🔁 再来一张]：输入按钮上的词即可按下——再来一张、变体、重新发送、重试、"
        "导出、状态、积分、新项目（也可以输入 again、variation、resend、retry、web）",
    ),
    "help_inline": (
        "• Inline, in any chat: type {handle} and a description, pick “🎨 Generate”, and the "
        "image appears there as your message (your latest images are offered too)",
        "• 内联模式，在任何聊天中：输入 {handle} 和描述，选择“🎨 生成”，图片就会作为你的消息"
        "出现在那里（也会列出你最近的图片）",
    ),
    "unknown_command": (
        "I don't know the command {command}. Send /help to see what I can do.",
        "我不认识命令 {command}。发送 /help 查看我能做什么。",
    ),
    "empty_message": (
        "Send me a description of the image you want, or /help.",
        "请发送你想要的图片描述，或发送 /help。",
    ),
    "too_long": (
        "That message is too long ({length} characters). Please keep it under {limit}.",
        "消息太长了（{length} 个字符），请控制在 {limit} 个字符以内。",
    ),
    "lang_set": ("I'll answer in English from now on.", "好的，之后我会用中文回复。"),
    "lang_usage": ("Use /lang en or /lang zh.", "请使用 /lang en 或 /lang zh。"),
    "not_allowed": (
        "Sorry, this bot is private.",
        "抱歉，这是一个私有机器人。",
    ),
    "banned": (
        "Sorry, you can't use this bot.",
        "抱歉，你不能使用这个机器人。",
    ),
    # -- operators (NEMOBOT_ADMINS, private chats)
    "stats": (
        "📊 nemobot\n"
        "Users: {users}\n"
        "Turns today: {turns}\n"
        "Renders: {delivered} delivered, {failed} failed, {active} in progress, "
        "{unconfirmed} unconfirmed\n"
        "Queue: {queued} waiting, {running} being answered ({inbox} messages kept)\n"
        "Banned: {banned} · allowed by /allow: {allowed}\n"
        "Credits on the shared token: {credits}",
        "📊 nemobot\n"
        "用户：{users}\n"
        "今日对话：{turns}\n"
        "渲染：已交付 {delivered}，失败 {failed}，进行中 {active}，未确认 {unconfirmed}\n"
        "队列：等待 {queued}，处理中 {running}（保留消息 {inbox} 条）\n"
        "已封禁：{banned} · 通过 /allow 允许：{allowed}\n"
        "共享令牌剩余积分：{credits}",
    ),
    "stats_credits_none": (
        "none (no NEMO_TOKEN: each user has a free account)",
        "无（未设置 NEMO_TOKEN：每位用户使用自己的免费账号）",
    ),
    "stats_credits_unknown": (
        "unknown (NemoVideo answered {reason})",
        "未知（NemoVideo 返回 {reason}）",
    ),
    "admin_usage": (
        "Use /{command} <user id>, e.g. /{command} 12345 or /{command} telegram:12345.",
        "用法：/{command} <用户 ID>，例如 /{command} 12345 或 /{command} telegram:12345。",
    ),
    "admin_ban": (
        "🚫 {who} is banned: their messages are refused from now on.",
        "🚫 已封禁 {who}：从现在起拒绝其消息。",
    ),
    "admin_ban_unchanged": ("{who} was already banned.", "{who} 已经被封禁。"),
    "admin_unban": ("✅ {who} is no longer banned.", "✅ 已解除对 {who} 的封禁。"),
    "admin_unban_unchanged": ("{who} was not banned.", "{who} 没有被封禁。"),
    "admin_allow": ("✅ {who} may use the bot.", "✅ {who} 可以使用机器人了。"),
    "admin_allow_unchanged": ("{who} was already allowed.", "{who} 已经在允许名单中。"),
    "admin_allowlist_on": (
        "The allowlist is on: only users on it (and operators) can use the bot.",
        "允许名单已启用：只有名单中的用户（以及管理员）可以使用机器人。",
    ),
    "admin_allowlist_off": (
        "The allowlist is empty now, so it is off: everyone can use the bot again.",
        "允许名单已清空，因此已关闭：所有人都可以再次使用机器人。",
    ),
    "admin_deny": ("{who} is off the allowlist.", "已将 {who} 移出允许名单。"),
    "admin_deny_unchanged": (
        "{who} was not on the allowlist set with /allow.",
        "{who} 不在通过 /allow 设置的允许名单中。",
    ),
    "admin_configured": (
        "{who} is in NEMOBOT_ALLOWED_USERS; remove them there and restart to deny them.",
        "{who} 在 NEMOBOT_ALLOWED_USERS 中；请在那里删除并重启后再拒绝。",
    ),
    "admin_cannot_ban": (
        "{who} is an operator (NEMOBOT_ADMINS) and cannot be banned.",
        "{who} 是管理员（NEMOBOT_ADMINS），不能被封禁。",
    ),
    # -- queue
    "queued": (
        "⏳ Got it — you're #{position} in line. /cancel clears the queue.",
        "⏳ 收到——你排在第 {position} 位。/cancel 可清空队列。",
    ),
    "slow_down": (
        "You're sending messages faster than I can answer. Give me a minute, then try again.",
        "你发消息的速度超过了我回复的速度，请稍等一分钟再试。",
    ),
    "press_queued": ("⏳ You're #{position} in line.", "⏳ 你排在第 {position} 位。"),
    "press_repeated": ("⏳ Already on it.", "⏳ 正在处理。"),
    "queue_full": (
        "You already have {limit} messages waiting. Please wait for my answers (or /cancel).",
        "你已有 {limit} 条消息在排队，请等我回复（或发送 /cancel）。",
    ),
    "cancelled_none": ("🛑 Stopped.", "🛑 已停止。"),
    "cancelled_one": (
        "🛑 Stopped. {count} queued message dropped.",
        "🛑 已停止，丢弃了 {count} 条排队消息。",
    ),
    "cancelled_many": (
        "🛑 Stopped. {count} queued messages dropped.",
        "🛑 已停止，丢弃了 {count} 条排队消息。",
    ),
    "nothing_to_cancel": ("There's nothing to cancel.", "没有可以取消的操作。"),
    "interrupted": (
        "⚠️ I restarted while working on your message “{words}”. It may have reached the "
        "agent, so I didn't send it again on my own (that could cost credits twice); tap "
        "Send again if you want it. {state}",
        "⚠️ 处理你的消息“{words}”时我重启了。它可能已送达智能体，为避免重复扣费我没有自动重发；"
        "需要的话请点击“再发一次”。{state}",
    ),
    "your_message": ("your last message", "上一条消息"),
    "nothing_to_send_again": (
        "That message was already sent again, or is too old to send now. Just write it again.",
        "那条消息已经重发过，或者太久了无法再发。请重新输入一次。",
    ),
    # -- the turn
    "still_working": (
        "⏳ Still working… ({elapsed} so far)",
        "⏳ 仍在处理中……（已用时 {elapsed}）",
    ),
    "time_seconds": ("{n} s", "{n} 秒"),
    "time_minutes": ("{n} min", "{n} 分钟"),
    "time_hours": ("{h} h {m} min", "{h} 小时 {m} 分钟"),
    "tool_generate": ("🎨 Generating image…", "🎨 正在生成图片……"),
    "tool_edit": ("✏️ Editing your project…", "✏️ 正在编辑项目……"),
    "tool_other": ("⚙️ Working…", "⚙️ 处理中……"),
    "no_text_changes": ("Done. {changes}", "完成。{changes}"),
    "no_text_nothing": (
        "The agent finished without a reply and nothing in your project changed. "
        "Try rephrasing your request.",
        "助手没有回复，项目也没有变化。请换个说法再试一次。",
    ),
    "change_added": ("added {what}", "添加了{what}"),
    "change_removed": ("removed {what}", "删除了{what}"),
    "change_images_one": ("{count} new image", "{count} 张新图片"),
    "change_images_many": ("{count} new images", "{count} 张新图片"),
    "change_label": ('{track} "{name}"', "{track}“{name}”"),
    "change_sep": ("; ", "；"),
    "change_end": (".", "。"),
    "image_caption": ("🖼 {prompt}", "🖼 {prompt}"),
    "image_actions": (
        "Want another take? 🔁 Again makes the same image anew, ✨ Variation a different one.",
        "想换个样子？🔁 再来一张会重新生成同样的图片，✨ 变体会生成不同的版本。",
    ),
    "image_gone": (
        "I can't find that image any more. Describe it again and I'll make it.",
        "找不到那张图片了。请再描述一次，我来生成。",
    ),
    # -- what the bot asks the agent for a button or a slash command (in the user's language)
    "agent_imagine": ("Generate an image of {prompt}", "生成一张{prompt}的图片"),
    # -- inline mode (Telegram): the results offered while someone types @bot …
    "inline_generate_title": ("🎨 Generate: {prompt}", "🎨 生成：{prompt}"),
    "inline_generate_about": (
        "Made in your NemoVideo project; it appears here when ready",
        "在你的 NemoVideo 项目中生成，完成后会显示在这里",
    ),
    "inline_generating": ("🎨 Generating: {prompt}…", "🎨 正在生成：{prompt}……"),
    "inline_empty_title": ("🎨 Describe an image", "🎨 描述一张图片"),
    "inline_empty_about": (
        "Type what it should show, e.g. a sunset over a mountain lake",
        "输入图片要表现的内容，例如：山间湖泊的日落",
    ),
    "inline_empty": (
        "✍️ To make an image here, type {handle} and a description, then pick “🎨 Generate”.",
        "✍️ 要在这里生成图片，请输入 {handle} 和描述，然后选择“🎨 生成”。",
    ),
    "inline_too_long_title": ("✂️ Too long for inline mode", "✂️ 内容太长，无法内联生成"),
    "inline_too_long": (
        "A description in inline mode can be up to {limit} characters (Telegram cuts longer "
        "ones). Shorten it, or send it to me in a private chat.",
        "内联模式下描述最多 {limit} 个字符（Telegram 会截断更长的内容）。"
        "请缩短，或在私聊中发给我。",
    ),
    "inline_refused_title": ("🚫 Not available", "🚫 无法使用"),
    "inline_image_about": ("Your image: {prompt}", "你的图片：{prompt}"),
    "inline_image_link": ("{caption}\n{url}", "{caption}\n{url}"),
    "inline_export_here": (
        "🎬 The video of the image you posted inline is on its way.",
        "🎬 你通过内联发布的图片，视频马上就来。",
    ),
    "inline_export_sent": (
        "🎬 The video is on its way to our private chat: {link}",
        "🎬 视频正在发往我们的私聊：{link}",
    ),
    "inline_export_start": (
        "🎬 To get the video, open {link} and press Start: it follows there.",
        "🎬 要获取视频，请打开 {link} 并点击“开始”，视频随后会发到那里。",
    ),
    "agent_inline": ("Generate an image of {prompt}", "生成一张{prompt}的图片"),
    "agent_again": ("Generate another image of {prompt}", "再生成一张{prompt}的图片"),
    "agent_variation": (
        "Generate a new image of {prompt}, as a variation with a different composition",
        "生成一张{prompt}的图片，作为构图不同的变体",
    ),
    "offer_export": (
        "Say “export” (or tap Export) when you want the MP4.",
        "需要 MP4 时说“导出”（或点击导出按钮）。",
    ),
    "stream_dropped": (
        "📡 The connection dropped mid-answer. Checking what was done…",
        "📡 回复中途连接断开，正在检查完成情况……",
    ),
    "stream_failed": (
        "Sorry, that request didn't go through. Please try again.",
        "抱歉，请求没有成功，请再试一次。",
    ),
    "turn_timeout": (
        "⌛ That took too long, so I stopped waiting (nothing was sent twice). {state}",
        "⌛ 处理时间过长，我已停止等待（没有重复发送）。{state}",
    ),
    "state_unchanged": ("Your project is unchanged.", "你的项目没有变化。"),
    # -- status, credits, sessions
    "status": ("{summary}", "{summary}"),
    "timeline": ("Timeline ({count} {tracks}): {items}", "时间线（{count} {tracks}）：{items}"),
    "timeline_track_one": ("track", "条轨道"),
    "timeline_track_many": ("tracks", "条轨道"),
    "timeline_item": ("{index}. {label}: {what} ({span})", "{index}. {label}：{what}（{span}）"),
    "timeline_span": ("{start}-{end}s", "{start}-{end} 秒"),
    "timeline_volume": ("{span}, {volume}%", "{span}，{volume}%"),
    "timeline_quote": ('"{text}"', "“{text}”"),
    "timeline_repeat": ("{name} ×{count}", "{name} ×{count}"),
    "timeline_list_sep": (", ", "、"),
    "track_video": ("Video", "视频"),
    "track_audio": ("BGM", "背景音乐"),
    "track_text": ("Title", "标题"),
    "track_other": ("Track", "轨道"),
    # -- the storyboard picture (words drawn on it; the summary is its caption)
    "board_untitled": ("Your project", "你的项目"),
    "board_volume": ("{name} · {volume}%", "{name} · {volume}%"),
    "board_more_rows": ("+{count} more", "另有 {count} 条"),
    "status_empty": (
        "Your timeline is empty. Describe an image to generate, or send a picture.",
        "时间线是空的。描述一张要生成的图片，或发送一张图片。",
    ),
    "credits": (
        "💳 Credits: {available} available ({total} total).",
        "💳 积分：可用 {available}（共 {total}）。",
    ),
    "credits_on_hold": (
        "💳 Credits: {available} available, {frozen} more on hold for work in progress "
        "({total} total).",
        "💳 积分：可用 {available}，另有 {frozen} 为进行中的任务暂扣（共 {total}）。",
    ),
    "new_session": (
        "🆕 Started a new project. Describe your first image!",
        "🆕 已新建项目。描述你的第一张图片吧！",
    ),
    # -- accounts
    "login_private_only": (
        "For your safety, send /login only in a private chat with me. I've removed that "
        "message where I could.",
        "为了安全，请只在与我的私聊中发送 /login。我已尽可能删除那条消息。",
    ),
    "login_usage": ("Use: /login <your NemoVideo token>", "用法：/login <你的 NemoVideo 令牌>"),
    "login_ok": (
        "🔐 You're now using your own NemoVideo account ({available} credits). "
        "I deleted your message with the token where I could. /logout to switch back.",
        "🔐 现在使用你自己的 NemoVideo 账号（{available} 积分）。已尽可能删除含令牌的消息。"
        "发送 /logout 切换回来。",
    ),
    "login_bad": (
        "That token didn't work. Please check it and try again.",
        "这个令牌无效，请检查后重试。",
    ),
    "logout_ok": (
        "You're back on the bot's account.",
        "已切换回机器人的账号。",
    ),
    "token_refused": (
        "I couldn't get a free NemoVideo account for you right now (the free sign-up limit "
        "was reached). Please try again later.",
        "暂时无法为你获取免费的 NemoVideo 账号（免费注册已达上限），请稍后再试。",
    ),
    # -- export
    "export_empty": (
        "There's nothing to export yet — your timeline is empty. Generate an image first "
        "(e.g. “generate an image of a sunset”) or send me a picture.",
        "还没有可导出的内容——时间线是空的。请先生成一张图片（例如“生成一张日落的图片”）"
        "或发送一张图片。",
    ),
    "export_started": (
        "🎬 Rendering your video… {progress}%{eta}",
        "🎬 正在渲染视频……{progress}%{eta}",
    ),
    "export_eta": (" · about {time} left", "，预计还需约 {time}"),
    "time_about_minute": ("a minute", "一分钟"),
    "export_busy": (
        "🎬 Your video is already rendering ({progress}%). I'll send it when it's ready.",
        "🎬 视频正在渲染中（{progress}%），完成后会发给你。",
    ),
    "export_resumed": (
        "🎬 I restarted; your video is still rendering and will arrive here.",
        "🎬 我重启了；你的视频仍在渲染，完成后会发到这里。",
    ),
    "export_done": (
        "✅ Your video is ready ({width}x{height}, {duration}s).",
        "✅ 视频已完成（{width}x{height}，{duration} 秒）。",
    ),
    "export_too_big": (
        "✅ Your video is ready, but it's {size} MB — over this chat's upload limit. "
        "Download it here (the link expires soon): {url}",
        "✅ 视频已完成，但大小为 {size} MB，超过了本聊天的上传限制。请尽快通过链接下载：{url}",
    ),
    "export_too_big_no_link": (
        "✅ Your video is ready, but it's {size} MB — over this chat's upload limit, and "
        "NemoVideo gave no download link. Try /web to open it in the editor.",
        "✅ 视频已完成，但大小为 {size} MB，超过了本聊天的上传限制，且 NemoVideo 没有提供下载链接。"
        "可以发送 /web 在编辑器中打开。",
    ),
    "export_unconfirmed": (
        "⚠️ I restarted while sending your video, so it may already be above. If it isn't, "
        "tap Resend.",
        "⚠️ 发送视频时我重启了，视频可能已经在上面了。如果没有，请点击“重新发送”。",
    ),
    "export_send_failed": (
        "⚠️ Sending your video failed, and it may or may not have arrived. If it isn't "
        "above, tap Resend.",
        "⚠️ 发送视频时出错，视频可能没有送达。如果上面没有，请点击“重新发送”。",
    ),
    "nothing_to_resend": (
        "There's no video waiting to be sent again. Say “export” for a new one.",
        "没有需要重新发送的视频。说“导出”可以生成新的视频。",
    ),
    "export_failed": (
        "❌ The render failed. Tap Retry to try again (export is free).",
        "❌ 渲染失败。点击“重试”再试一次（导出免费）。",
    ),
    "export_failed_reason": (
        "❌ The render failed — NemoVideo said: “{reason}”. Tap Retry to try again "
        "(export is free).",
        "❌ 渲染失败——NemoVideo 的说明：“{reason}”。点击“重试”再试一次（导出免费）。",
    ),
    "export_lost": (
        "❌ I lost track of that render. Please export again.",
        "❌ 找不到这次渲染了，请重新导出。",
    ),
    # -- uploads
    "upload_how": (
        "Send the file as an attachment (images, videos or audio up to 200 MB) and I'll add "
        "it to your project.",
        "请把文件作为附件发送（图片、视频或音频，最大 200 MB），我会把它加入你的项目。",
    ),
    "upload_done_one": (
        "📎 Added {count} file to your project.",
        "📎 已将 {count} 个文件加入项目。",
    ),
    "upload_done_many": (
        "📎 Added {count} files to your project.",
        "📎 已将 {count} 个文件加入项目。",
    ),
    "upload_not_media": (
        "{name} is really {kind}, not a picture, video or audio file, so I left it out.",
        "{name} 实际上是{kind}，不是图片、视频或音频，所以我没有加入它。",
    ),
    "upload_unrecognised": (
        "I couldn't read {name} as a picture, video or audio file, so I left it out. I take "
        "pictures (JPG, PNG, GIF, WEBP), videos (MP4, MOV, AVI, WEBM, MKV) and audio (MP3, WAV, "
        "M4A, AAC).",
        "无法把 {name} 识别为图片、视频或音频，所以我没有加入它。支持：图片（JPG、PNG、GIF、"
        "WEBP）、视频（MP4、MOV、AVI、WEBM、MKV）和音频（MP3、WAV、M4A、AAC）。",
    ),
    "upload_caption_alone": (
        " I'll answer your message without it.",
        "我会在没有该文件的情况下回复你的消息。",
    ),
    "kind_a": ("a {what}", "{what}"),
    "kind_an": ("an {what}", "{what}"),
    "kind_image": ("{ext} image", "{ext} 图片"),
    "kind_video": ("{ext} video", "{ext} 视频"),
    "kind_audio": ("{ext} audio file", "{ext} 音频文件"),
    "kind_font": ("{ext} font", "{ext} 字体文件"),
    "kind_archive": ("{ext} archive", "{ext} 压缩包"),
    "kind_document": ("{ext} document", "{ext} 文档"),
    "kind_program": ("program ({ext})", "程序（{ext}）"),
    "kind_file": ("{ext} file", "{ext} 文件"),
    "upload_unsupported": (
        "I can't use {name}. I accept: mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, "
        "wav, m4a, aac.",
        "无法使用 {name}。支持的格式：mp4、mov、avi、webm、mkv、jpg、png、gif、webp、mp3、"
        "wav、m4a、aac。",
    ),
    "upload_too_big": (
        "{name} is too large (the limit is 200 MB). Try compressing or trimming it.",
        "{name} 太大了（上限 200 MB），请压缩或剪短后再试。",
    ),
    "that_file": ("that file", "该文件"),
    "that_file_start": ("That file", "该文件"),
    "download_too_big": (
        "{name} is {size} MB, but I can only fetch files up to {limit} MB here. Try a smaller "
        "file.",
        "{name} 大小为 {size} MB，但这里我只能获取不超过 {limit} MB 的文件。请换一个更小的文件。",
    ),
    "download_hint": (
        " (The bot's operator can lift this limit by running a self-hosted Telegram Bot API "
        "server.)",
        "（机器人管理员可以通过自建 Telegram Bot API 服务器解除这个限制。）",
    ),
    "upload_missing": (
        "I couldn't read {name}. Please send it again.",
        "无法读取 {name}，请重新发送。",
    ),
    # -- backend errors
    "err_credits_anon": (
        "You've used your free credits. Register to get more (it keeps your projects): {link}",
        "免费积分已用完。注册即可获得更多积分（并保留你的项目）：{link}",
    ),
    "err_credits": (
        "Your NemoVideo account is out of credits. Please top up at {link}",
        "你的 NemoVideo 账号积分不足，请前往充值：{link}",
    ),
    "err_auth_fixed": (
        "The bot's NemoVideo token was rejected. The bot's operator has been told.",
        "机器人的 NemoVideo 令牌被拒绝，已通知管理员。",
    ),
    "err_auth_login": (
        "Your NemoVideo token was rejected. Send /login with a fresh token, or /logout.",
        "你的 NemoVideo 令牌被拒绝。请用新令牌发送 /login，或发送 /logout。",
    ),
    "err_rate": (
        "NemoVideo is busy right now. Please try again in a minute.",
        "NemoVideo 正忙，请一分钟后再试。",
    ),
    "err_down": (
        "I can't reach NemoVideo right now. Please try again in a minute.",
        "暂时连不上 NemoVideo，请一分钟后再试。",
    ),
    "err_export_blocked": (
        "Export isn't available on this NemoVideo plan (it's a subscription limit, not credits).",
        "当前 NemoVideo 套餐不支持导出（这是订阅限制，与积分无关）。",
    ),
    "err_session": (
        "Your project session was lost, so I started a new one. Please send that again.",
        "你的项目会话丢失了，已新建一个。请再发送一次。",
    ),
    "err_generic": (
        "Something went wrong on NemoVideo's side. Please try again.",
        "NemoVideo 出了点问题，请再试一次。",
    ),
    "err_internal": (
        "Sorry, something went wrong on my side. Please try again.",
        "抱歉，我这边出了点问题，请再试一次。",
    ),
    # -- daily allowances on a shared account (bot.core.allowances)
    "allowance_turns": ("agent turns", "次对话"),
    "allowance_images": ("images", "张图片"),
    "allowance_exports": ("exports", "次导出"),
    "allowance_out_user": (
        "You've used today's {limit} {what} on this bot. They come back at 00:00 UTC, in {time}.",
        "你今天的 {limit} {what}已经用完了。UTC 时间 00:00（{time}后）恢复。",
    ),
    "allowance_out_chat": (
        "In this group each member gets {limit} {what} a day, and you've used yours. They "
        "come back at 00:00 UTC, in {time}.",
        "本群每位成员每天可用 {limit} {what}，你的已经用完了。UTC 时间 00:00（{time}后）恢复。",
    ),
    "allowance_out_account": (
        "Everyone together has used the {limit} {what} this bot allows a day. It starts "
        "again at 00:00 UTC, in {time}.",
        "所有人今天已经用完了本机器人每天的 {limit} {what}。UTC 时间 00:00（{time}后）恢复。",
    ),
    "allowance_left": (
        "📅 Left for you today: {turns} turns · {images} images · {exports} exports "
        "(renewed at 00:00 UTC, in {time}).",
        "📅 你今天还剩：对话 {turns} 次 · 图片 {images} 张 · 导出 {exports} 次"
        "（UTC 时间 00:00，{time}后恢复）。",
    ),
    "allowance_unlimited": ("no limit", "不限"),
    "allowance_extras": (
        "⭐ Bought and not used yet: {turns} turns · {images} images · {exports} exports.",
        "⭐ 已购买尚未使用：对话 {turns} 次 · 图片 {images} 张 · 导出 {exports} 次。",
    ),
    "allowance_none": (
        "📅 No daily limit applies to you.",
        "📅 每日限额对你不适用。",
    ),
    "allowance_account": (
        "🏦 The shared account (operators only): {balance}",
        "🏦 共享账号（仅运营者可见）：{balance}",
    ),
    "stats_days": ("Spending by day (UTC):", "每日消耗（UTC）："),
    "stats_day": (
        "{day}: {turns} turns, {images} images, {exports} exports ({users} users)",
        "{day}：对话 {turns}，图片 {images}，导出 {exports}（{users} 位用户）",
    ),
    "stats_no_spending": ("Spending by day (UTC): nothing yet", "每日消耗（UTC）：暂无"),
    "stats_top": ("Top spenders, last 7 days:", "近 7 天消耗最多："),
    "stats_spender": (
        "{who}: {images} images, {turns} turns, {exports} exports",
        "{who}：图片 {images}，对话 {turns}，导出 {exports}",
    ),
    # -- Telegram Stars packs (bot.core.stars, bot.core.payments)
    "stars_offer": (
        "Want more now? Packs for Telegram Stars:",
        "想现在继续？可以用 Telegram Stars 购买：",
    ),
    "btn_pack": ("⭐ {amount} {what} · {stars} Stars", "⭐ {amount} {what} · {stars} 星"),
    "invoice_title": ("{amount} {what}", "{amount} {what}"),
    "invoice_description": (
        "{amount} more {what} on this bot, kept until you use them: they count once your "
        "daily allowance is spent. Not NemoVideo credits.",
        "本机器人上额外的 {amount} {what}，用完为止：每日额度用完后才会使用。不是 NemoVideo 积分。",
    ),
    "pack_gone": (
        "That pack is no longer on offer. Send /credits to see what is.",
        "这个套餐已经下架了。发送 /credits 查看现有套餐。",
    ),
    "payments_unavailable": (
        "Packs are paid with Telegram Stars, so they can only be bought on Telegram.",
        "套餐使用 Telegram Stars 支付，只能在 Telegram 上购买。",
    ),
    "invoice_outdated": (
        "This invoice is out of date. Ask for a new one with /credits.",
        "这张账单已过期，请发送 /credits 重新获取。",
    ),
    "paid": (
        "⭐ Thank you! {amount} {what} were added. They're used once your daily allowance "
        "is spent, and they don't expire.",
        "⭐ 谢谢！已添加 {amount} {what}。每日额度用完后才会使用，并且不会过期。",
    ),
    "paid_unknown": (
        "⭐ Your payment arrived, but I couldn't tell what it was for. Send /paysupport and "
        "the bot's operator will sort it out.",
        "⭐ 已收到你的付款，但我无法确定它对应的套餐。请发送 /paysupport，运营者会为你处理。",
    ),
    "paysupport": (
        "Questions about a Stars payment? Write here what happened, with the date and the "
        "charge id from your receipt, and the bot's operator will help; a pack you haven't "
        "used can be refunded. Packs add turns, images or exports on this bot only.",
        "对 Stars 付款有疑问？请在这里说明情况，附上日期和收据中的交易号，"
        "机器人的运营者会帮你处理；未使用的套餐可以退款。套餐只增加本机器人上的对话、图片或导出次数。",
    ),
    "paysupport_off": (
        "This bot sells nothing, so there are no payments to help with.",
        "本机器人不出售任何东西，因此没有需要处理的付款。",
    ),
    "refund_usage": (
        "Use /refund <charge id> (from the payment's receipt).",
        "用法：/refund <交易号>（见付款收据）。",
    ),
    "refund_unknown": ("I know of no payment {charge}.", "没有找到付款 {charge}。"),
    "refund_already": ("{charge} was refunded already.", "{charge} 已经退款。"),
    "refund_done": (
        "↩️ Refunded {stars} Stars of {charge} to {who}; what was left of the pack is gone.",
        "↩️ 已将 {charge} 的 {stars} 星退还给 {who}；套餐剩余部分已收回。",
    ),
    "refund_failed": ("Telegram refused the refund: {reason}", "Telegram 拒绝了退款：{reason}"),
    # -- group and server settings (bot.core.group_settings)
    "settings_private": (
        "/settings is for groups: use it in a group I'm in, as one of its admins.",
        "/settings 用于群组：请在我所在的群组中以管理员身份使用。",
    ),
    "settings_admins_only": (
        "Only this group's admins can change my settings here.",
        "只有本群管理员可以修改我在这里的设置。",
    ),
    "settings_show": (
        "⚙️ My settings here\nWho may use me: {access}\nLanguage: {language}\n"
        "Quiet mode: {quiet}\nTurns per member a day: {limit}{channels}",
        "⚙️ 我在这里的设置\n谁可以使用：{access}\n语言：{language}\n"
        "安静模式：{quiet}\n每位成员每天对话次数：{limit}{channels}",
    ),
    "settings_channels": ("\nChannels I answer in: {channels}", "\n我回复的频道：{channels}"),
    "settings_every_channel": ("every channel", "所有频道"),
    "settings_access_everyone": ("everyone", "所有人"),
    "settings_access_admins": ("admins only", "仅管理员"),
    "settings_language_auto": ("each member's own", "每位成员自己的语言"),
    "settings_language_en": ("English", "English"),
    "settings_language_zh": ("中文", "中文"),
    "settings_quiet_on": ("on (only results)", "开（只发结果）"),
    "settings_quiet_off": ("off (live progress)", "关（显示实时进度）"),
    "settings_limit_off": ("no limit of this group's own", "本群不另设限制"),
    "settings_changed": ("⚙️ Changed by an admin: {change}.", "⚙️ 管理员已修改：{change}。"),
    "settings_change_access": ("who may use me: {value}", "谁可以使用：{value}"),
    "settings_change_language": ("language: {value}", "语言：{value}"),
    "settings_change_quiet": ("quiet mode: {value}", "安静模式：{value}"),
    "settings_change_limit": ("turns per member a day: {value}", "每位成员每天对话次数：{value}"),
    "settings_change_channels": ("channels I answer in: {value}", "我回复的频道：{value}"),
    "settings_unchanged": ("⚙️ That was the setting already.", "⚙️ 设置本来就是这样。"),
    "settings_usage": (
        "Use /settings, or /settings access everyone|admins, language auto|en|zh, "
        "quiet on|off, limit <turns a day>|off, channels all|here|add|remove.",
        "用法：/settings，或 /settings access everyone|admins、language auto|en|zh、"
        "quiet on|off、limit <每天对话次数>|off、channels all|here|add|remove。",
    ),
    "settings_admins_here": (
        "In this group only admins can use me.",
        "在本群只有管理员可以使用我。",
    ),
    "settings_elsewhere": (
        "In this server I answer only in the channels its admins chose.",
        "在这个服务器里，我只在管理员选定的频道中回复。",
    ),
    "btn_set_everyone": ("Everyone", "所有人"),
    "btn_set_admins": ("Admins only", "仅管理员"),
    "btn_set_auto": ("Members' language", "成员的语言"),
    "btn_set_en": ("English", "English"),
    "btn_set_zh": ("中文", "中文"),
    "btn_set_quiet_on": ("Quiet", "安静"),
    "btn_set_quiet_off": ("Live progress", "实时进度"),
    "btn_set_limit_off": ("No limit", "不限"),
    "btn_set_limit_n": ("{n}/day", "{n}/天"),
    # -- the command menu platforms show and /help lists: `cmd_<command>` for each command
    # of the registry (`bot.core.registry`), `cmd_<command>_<option or choice>` for its option
    "cmd_start": ("Say hello and see what I can do", "打个招呼，看看我能做什么"),
    "cmd_imagine": ("Generate an image from a description", "根据描述生成一张图片"),
    "cmd_imagine_prompt": ("What the image should show", "图片要表现的内容"),
    "cmd_imagine_image": (
        "A picture of yours to add first (optional)",
        "先加入一张你自己的图片（可选）",
    ),
    "cmd_help": ("Everything I understand", "我能理解的全部内容"),
    "cmd_help_inline": (
        "Everything I understand · inline: {handle} <description> in any chat",
        "我能理解的全部内容 · 内联：在任何聊天中输入 {handle} <描述>",
    ),
    "cmd_export": ("Render your project as a 1080p MP4", "把项目渲染成 1080p MP4"),
    "cmd_status": ("Show your timeline", "查看时间线"),
    "cmd_credits": ("Show your NemoVideo credits", "查看 NemoVideo 积分"),
    "cmd_new": ("Start a fresh project", "新建项目"),
    "cmd_cancel": ("Stop what I'm doing", "停止当前操作"),
    "cmd_web": ("Open your project in the web editor", "在网页编辑器中打开项目"),
    "cmd_lang": ("Reply language: en or zh", "回复语言：en 或 zh"),
    "cmd_lang_language": ("The language I answer in", "我回复时使用的语言"),
    "cmd_lang_en": ("English", "English"),
    "cmd_lang_zh": ("中文", "中文"),
    "cmd_login": (
        "Use your own NemoVideo token (private chat)",
        "使用你自己的 NemoVideo 令牌（私聊）",
    ),
    "cmd_login_token": ("Your NemoVideo token", "你的 NemoVideo 令牌"),
    "cmd_logout": ("Back to the bot's account", "切换回机器人的账号"),
    "cmd_settings": ("This group's settings (its admins)", "本群设置（管理员）"),
    "cmd_settings_access": ("Who may use the bot here", "谁可以在这里使用机器人"),
    "cmd_settings_access_everyone": ("Everyone", "所有人"),
    "cmd_settings_access_admins": ("Admins only", "仅管理员"),
    "cmd_settings_language": ("The language of the bot's messages here", "机器人在这里使用的语言"),
    "cmd_settings_language_auto": ("Each member's own", "每位成员自己的语言"),
    "cmd_settings_quiet": ("Quiet mode: only results, no live progress", "安静模式：只发结果"),
    "cmd_settings_quiet_on": ("On", "开"),
    "cmd_settings_quiet_off": ("Off", "关"),
    "cmd_settings_limit": (
        "Turns each member may take here a day (0: no limit of the server's own)",
        "每位成员每天在这里可用的对话次数（0：不另设限制）",
    ),
    "cmd_settings_channels": ("The channels the bot answers in", "机器人回复的频道"),
    "cmd_settings_channels_all": ("Every channel", "所有频道"),
    "cmd_settings_channels_here": ("Only this channel", "仅此频道"),
    "cmd_settings_channels_add": ("This channel too", "加上此频道"),
    "cmd_settings_channels_remove": ("Not this channel", "去掉此频道"),
    "cmd_paysupport": ("Help with a Stars payment", "Stars 付款帮助"),
    "button_unknown": (
        "That button isn't one of mine, so I did nothing.",
        "这个按钮不是我的，所以我什么也没做。",
    ),
    # -- buttons that belong to someone
    "not_yours": (
        "That button belongs to someone else's project, so I left it alone. Use your own: "
        "send /export, /status or a message of your own.",
        "这个按钮属于别人的项目，我没有操作。"
        "请使用你自己的：发送 /export、/status 或你自己的消息。",
    ),
    "session_replaced": (
        "That button belongs to a project you've since replaced, so I didn't touch your "
        "current one. Use the buttons under my latest answer.",
        "这个按钮属于你已经替换掉的旧项目，我没有改动你当前的项目。请使用我最新回复下的按钮。",
    ),
    # -- the web editor
    "web_link": (
        "🌐 Open your project in the NemoVideo web editor to keep refining it (the link is "
        "yours alone and expires in 7 days): {link}",
        "🌐 在 NemoVideo 网页编辑器中打开你的项目继续调整"
        "（链接仅供你本人使用，7 天内有效）：{link}",
    ),
    "web_empty": (
        "There's no project to open yet. Generate an image first.",
        "还没有可以打开的项目。请先生成一张图片。",
    ),
    # -- buttons
    "btn_export": ("Export", "导出"),
    "btn_status": ("Status", "状态"),
    "btn_credits": ("Credits", "积分"),
    "btn_new": ("New session", "新项目"),
    "btn_retry": ("Retry", "重试"),
    "btn_resend": ("Resend", "重新发送"),
    "btn_send_again": ("↩️ Send again", "↩️ 再发一次"),
    "btn_again": ("🔁 Again", "🔁 再来一张"),
    "btn_variation": ("✨ Variation", "✨ 变体"),
    "btn_again_n": ("🔁 Again #{n}", "🔁 再来一张 #{n}"),
    "btn_variation_n": ("✨ Variation #{n}", "✨ 变体 #{n}"),
    "btn_cancel": ("⏹ Cancel", "⏹ 取消"),
    "btn_web": ("🌐 Open in editor", "🌐 在编辑器中打开"),
}


def t(key: str, lang: str = "en", **values: object) -> str:
    """The text for `key` in `lang` (English when unknown), with `values` filled in."""
    english, chinese = _TEXTS[key]
    template = chinese if lang.startswith("zh") else english
    return template.format(**values) if values else template


def t_count(key: str, lang: str, count: int, **values: object) -> str:
    """`key_one`, `key_many` (or `key_none` for 0, where there is one) by `count`."""
    choice = "one" if count == 1 else "many"
    if count == 0 and f"{key}_none" in _TEXTS:
        choice = "none"
    return t(f"{key}_{choice}", lang, count=count, **values)


def language_of(text: str, fallback: str = "en") -> str:
    """`zh` when the text contains Chinese characters, else the fallback."""
    return "zh" if _CJK.search(text) else fallback


def how_long(seconds: float, lang: str = "en") -> str:
    """A short duration for people: "45 s", "3 min", "5 h 12 min" (or 秒 / 分钟 / 小时)."""
    if seconds < 90:
        return t("time_seconds", lang, n=max(1, round(seconds)))
    if seconds < 5400:
        return t("time_minutes", lang, n=round(seconds / 60))
    minutes = round(seconds / 60)
    return t("time_hours", lang, h=minutes // 60, m=minutes % 60)


def chat_language(hint: str | None) -> str:
    """The reply language for a platform's language hint ("zh-hans" → "zh")."""
    return "zh" if hint and hint.lower().startswith("zh") else "en"
