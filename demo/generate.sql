-- demo/generate.sql: a synthetic county for the credit extension.
--
-- Generates, inside the database and with nothing but SQL, a county like
-- Jiangyin (江阴, division 320281): its departments and towns, subjects of
-- the five kinds with valid codes and realistic names, and credit records
-- across the whole catalogue, skewed the way real data is (about half the
-- subjects clean, a tail of repeat offenders).  Deterministic: the same scale gives
-- the same subjects and records; only decided_on is relative to the
-- current date (the last five years, never in the future).
--
--   psql -v scale=1 -v density=50 --single-transaction -f demo/generate.sql
--
--   scale    subjects, in units of 20,000 (default 1, or $CREDIT_DEMO_SCALE):
--            0.01 gives about 230, 7.5 about 150,000 (88,000 market subjects)
--   density  records per subject (default 50, or $CREDIT_DEMO_DENSITY)
--   demo_progress   when set, print the row counts and seconds of each step
--
-- The file neither begins nor commits a transaction: run it with
-- --single-transaction (make demo does) or inside your own.  Department
-- roles are named (credit_dept_<code>) but not created: see docs/demo.md.
SET client_encoding = 'UTF8';
SET client_min_messages = warning;
SET jit = off;                      -- short bulk statements: compiling costs more than it saves

\if :{?scale}
\else
\getenv scale CREDIT_DEMO_SCALE
\endif
\if :{?scale}
\else
\set scale 1
\endif
\if :{?density}
\else
\getenv density CREDIT_DEMO_DENSITY
\endif
\if :{?density}
\else
\set density 50
\endif

-- Parameters, checked.
CREATE TEMP TABLE demo_param (
    scale      numeric NOT NULL CHECK (scale > 0 AND scale <= 50),
    density    numeric NOT NULL CHECK (density > 0 AND density <= 1000),
    first_id   bigint NOT NULL,     -- the generated subjects have ids from the identity
    last_id    bigint,              -- sequence strictly between these two
    today      date NOT NULL DEFAULT current_date,
    encoding   text NOT NULL DEFAULT getdatabaseencoding() CHECK (encoding = 'UTF8'),  -- the names are Chinese
    n_records  bigint GENERATED ALWAYS AS (round(scale * density * 20000)) STORED
);
INSERT INTO demo_param (scale, density, first_id)
    VALUES (:'scale', :'density', nextval(pg_get_serial_sequence('credit.subject', 'id')));
CREATE TEMP TABLE demo_timing (step text, n bigint, at timestamptz DEFAULT clock_timestamp());
INSERT INTO demo_timing (step) VALUES ('start');
-- With demo_progress, a line as each phase ends: its rows, seconds and rate.
\set demo_phase_line 'SELECT format(''   %-18s %10s rows %7s s %9s rows/s'', step, n, round(sec::numeric, 1), round(n / nullif(sec, 0)::numeric)) AS demo_line FROM (SELECT step, n, at, extract(epoch FROM at - lag(at) OVER (ORDER BY at)) AS sec FROM demo_timing) t ORDER BY at DESC LIMIT 1'
SELECT setseed(0.2026)::text AS demo_seeded \gset

-- Code helpers: the check characters of GB 32100 (USCC, with the embedded
-- GB 11714 organisation code) and GB 11643 (resident ID number).
CREATE FUNCTION pg_temp.demo_org_check(body text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE r WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE r::text END
      FROM (SELECT 11 - sum(CASE WHEN c BETWEEN '0' AND '9' THEN ascii(c) - 48 ELSE ascii(c) - 55 END * w) % 11 AS r
              FROM unnest(string_to_array(body, NULL), '{3,7,9,10,5,8,4,2}'::int[]) AS u(c, w)) s
$$;
CREATE FUNCTION pg_temp.demo_uscc_check(c17 text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT substr(a, ((31 - sum((strpos(a, c) - 1) * w) % 31) % 31)::int + 1, 1)
      FROM (VALUES ('0123456789ABCDEFGHJKLMNPQRTUWXY')) AS v(a),
           unnest(string_to_array(c17, NULL), '{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::int[]) AS u(c, w)
     GROUP BY a
$$;
-- Eight-character organisation code body, unique per idx: eight digits for
-- codes issued before the USCC reform, prefix + six symbols after it.
CREATE FUNCTION pg_temp.demo_org_body(idx bigint, prefix text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN prefix IS NULL
           THEN ((idx * 48271 + 13579) % 90000000 + 10000000)::text
           ELSE prefix || (SELECT string_agg(substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
                                                    ((idx * 7919 + 12345) % 887503681 / (31 ^ (5 - i))::bigint % 31)::int + 1, 1),
                                             '' ORDER BY i)
                             FROM generate_series(0, 5) AS i)
           END
$$;
CREATE FUNCTION pg_temp.demo_uscc(reg text, division text, body text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT c17 || pg_temp.demo_uscc_check(c17)
      FROM (SELECT reg || division || body || pg_temp.demo_org_check(body) AS c17) s
$$;
CREATE FUNCTION pg_temp.demo_resident_id(addr text, birth date, seq int) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT s17 || substr('10X98765432', (sum(c::int * w) % 11)::int + 1, 1)
      FROM (SELECT addr || to_char(birth, 'YYYYMMDD') || lpad(seq::text, 3, '0') AS s17) s,
           unnest(string_to_array(s17, NULL), '{7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2}'::int[]) AS u(c, w)
     GROUP BY s17
$$;
-- Rank (0-based) of the subject a record falls on in a pool of n subjects
-- ordered riskiest first: the first reach*n subjects only, density falling
-- like a power law of exponent 1/expo - 1 with a flattened head (head: its
-- width, as a fraction of the reach), taken from the clean end if asked.
CREATE FUNCTION pg_temp.demo_rank(n int, reach float8, expo float8, head float8, from_clean boolean, u float8)
RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN from_clean THEN n - 1 ELSE 0 END
           + CASE WHEN from_clean THEN -1 ELSE 1 END
             * least(greatest(floor(n * reach * ((1 + head) * ((head / (1 + head)) ^ (1 / expo)
                                                            + u * (1 - (head / (1 + head)) ^ (1 / expo))) ^ expo
                                                 - head))::int, 0), n - 1)
$$;
-- Two-character trade name number t (0..2449): an ordered pair of distinct characters of a (50).
CREATE FUNCTION pg_temp.demo_pair(a text[], t bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT a[1 + t / 49] || a[1 + t % 49 + CASE WHEN t % 49 >= t / 49 THEN 1 ELSE 0 END]
$$;
CREATE FUNCTION pg_temp.demo_pick(a anyarray, u float8) RETURNS anyelement
LANGUAGE sql IMMUTABLE AS $$ SELECT a[1 + floor(u * cardinality(a))::int] $$;
-- Log-uniform amount between lo and hi, rounded to step.
CREATE FUNCTION pg_temp.demo_amount(lo numeric, hi numeric, u float8, step numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT greatest(step, round(exp(ln(lo) + u * (ln(hi) - ln(lo)))::numeric / step) * step) $$;

-- Word lists; a value listed with weight w is picked w times as often.
CREATE TEMP TABLE demo_list (list text, val text, w int NOT NULL DEFAULT 1, ord serial);
INSERT INTO demo_list (list, val, w)
SELECT 'surname', v, w FROM (VALUES
    ('王', 9), ('张', 8), ('陈', 8), ('周', 6), ('徐', 6), ('李', 6), ('顾', 5), ('陆', 5), ('吴', 5),
    ('朱', 5), ('沈', 4), ('黄', 4), ('刘', 4), ('钱', 3), ('杨', 3), ('孙', 3), ('蒋', 3), ('缪', 2),
    ('承', 2), ('夏', 2), ('薛', 2), ('季', 2), ('邵', 2), ('许', 2), ('赵', 2), ('胡', 2), ('高', 2),
    ('曹', 2), ('金', 2), ('殷', 1), ('郁', 1), ('范', 1), ('袁', 1), ('花', 1), ('包', 1), ('严', 1),
    ('卞', 1), ('秦', 1), ('贡', 1), ('奚', 1), ('谢', 1), ('马', 1), ('何', 1), ('郭', 1)) AS t(v, w)
UNION ALL SELECT 'given_m', v, 1 FROM unnest(string_to_array(
    '伟强军勇杰涛斌磊明华建国平峰超俊辉鹏浩宇晨昊轩刚健亮春林文志新荣宏飞兵锋彬杨骏', NULL)) AS v
UNION ALL SELECT 'given_f', v, 1 FROM unnest(string_to_array(
    '芳娟敏静丽燕艳霞玲萍红梅琴慧婷雪洁颖倩佳欣怡雯琳晶莉秀英兰凤月悦萱涵蕾', NULL)) AS v
UNION ALL SELECT 'trade', v, 1 FROM unnest(string_to_array(
    '澄华兴盛鑫泰宏金海新益博瑞丰汇嘉德信诚润捷凯龙祥安恒通达远昌隆富利源宇卓越天鸿永振联立晟阳明光辰峰航', NULL)) AS v
UNION ALL SELECT 'person_addr', v, w FROM (VALUES
    ('320281', 70), ('320282', 4), ('320211', 3), ('320583', 2), ('320923', 2), ('321322', 3),
    ('341221', 4), ('341622', 3), ('411522', 3), ('510722', 3), ('320412', 2), ('321282', 1)) AS t(v, w)
UNION ALL SELECT 'org_division', v, w FROM (VALUES
    ('320281', 88), ('320200', 3), ('320211', 2), ('320213', 1), ('320214', 1), ('320282', 2),
    ('320582', 1), ('321282', 1), ('320412', 1)) AS t(v, w)
UNION ALL SELECT 'legal_form', v, w FROM (VALUES
    ('有限公司', 12), ('有限责任公司', 3), ('股份有限公司', 2), ('集团有限公司', 1)) AS t(v, w)
UNION ALL SELECT 'crop', v, 1 FROM unnest('{水蜜桃,葡萄,水稻,蔬菜,茶叶,花木,水产,生猪,草莓,食用菌,稻米,园艺}'::text[]) AS v
UNION ALL SELECT 'sector', v, 1 FROM unnest('{建筑业,物流,餐饮,纺织,机械工业,个体劳动者,摄影家,书法家,收藏,老年体育,青年企业家,女企业家,律师,注册会计师,计算机,电子商务,汽车维修,装饰装修,家具,建材,旅游,酒店,食品,医学,护理,园艺,钓鱼,围棋,象棋,徐霞客研究}'::text[]) AS v
UNION ALL SELECT 'social_suffix', v, 1 FROM unnest('{协会,商会,学会,联合会}'::text[]) AS v
UNION ALL SELECT 'nonprofit', v, 1 FROM unnest('{养老服务中心,职业培训学校,幼儿园,社会工作服务中心,康复中心,艺术培训中心}'::text[]) AS v
UNION ALL SELECT 'organ', v, 1 FROM unnest('{综合行政执法局,财政所,司法所,劳动保障所,统计站,社会事业局}'::text[]) AS v
UNION ALL SELECT 'loan_type', v, 1 FROM unnest('{流动资金贷款,固定资产贷款,个人经营贷款,个人消费贷款,个人住房贷款,信易贷}'::text[]) AS v
UNION ALL SELECT 'finding', v, 1 FROM unnest('{安全警示标志缺失,台账记录不完整,消防器材过期,作业人员未佩戴防护用品,现场管理混乱,应急预案未演练,隐患整改不到位,资质证书未按规定公示}'::text[]) AS v
UNION ALL SELECT 'tax_type', v, 1 FROM unnest('{增值税,企业所得税,城镇土地使用税,房产税,个人所得税,印花税}'::text[]) AS v
UNION ALL SELECT 'contract', v, 1 FROM unnest('{建设工程施工合同,政府采购合同,买卖合同,租赁合同,技术服务合同}'::text[]) AS v
UNION ALL SELECT 'facility', v, 1 FROM unnest('{路灯,公交站台,消火栓,窨井盖,健身器材,交通护栏}'::text[]) AS v
UNION ALL SELECT 'activity', v, 1 FROM unnest('{社区服务,交通文明劝导,环境保护,助老助残,文明城市创建,防汛抗台}'::text[]) AS v
UNION ALL SELECT 'commitment', v, 1 FROM unnest('{告知承诺制审批,信用修复承诺,主动型承诺,行业自律承诺}'::text[]) AS v
UNION ALL SELECT 'person_violation', v, 1 FROM unnest('{殴打他人|《中华人民共和国治安管理处罚法》第四十三条,盗窃|《中华人民共和国治安管理处罚法》第四十九条,扰乱公共秩序|《中华人民共和国治安管理处罚法》第二十三条,饮酒后驾驶机动车|《中华人民共和国道路交通安全法》第九十一条}'::text[]) AS v;
CREATE TEMP TABLE demo_arr AS
    SELECT list, array_agg(val ORDER BY ord, g) AS a
      FROM demo_list, generate_series(1, w) AS g
     GROUP BY list;
CREATE TEMP TABLE demo_w AS
    SELECT max(a) FILTER (WHERE list = 'surname') AS surname,
           max(a) FILTER (WHERE list = 'given_m') AS given_m,
           max(a) FILTER (WHERE list = 'given_f') AS given_f,
           max(a) FILTER (WHERE list = 'trade') AS trade,
           max(a) FILTER (WHERE list = 'person_addr') AS person_addr,
           max(a) FILTER (WHERE list = 'org_division') AS org_division,
           max(a) FILTER (WHERE list = 'legal_form') AS legal_form,
           max(a) FILTER (WHERE list = 'crop') AS crop,
           max(a) FILTER (WHERE list = 'sector') AS sector,
           max(a) FILTER (WHERE list = 'social_suffix') AS social_suffix,
           max(a) FILTER (WHERE list = 'nonprofit') AS nonprofit,
           max(a) FILTER (WHERE list = 'organ') AS organ,
           max(a) FILTER (WHERE list = 'loan_type') AS loan_type,
           max(a) FILTER (WHERE list = 'finding') AS finding,
           max(a) FILTER (WHERE list = 'tax_type') AS tax_type,
           max(a) FILTER (WHERE list = 'contract') AS contract,
           max(a) FILTER (WHERE list = 'facility') AS facility,
           max(a) FILTER (WHERE list = 'activity') AS activity,
           max(a) FILTER (WHERE list = 'commitment') AS commitment,
           max(a) FILTER (WHERE list = 'person_violation') AS person_violation,
           '{江阴市,江阴市,江阴市,江阴市,江阴市,江阴市,江阴市,江阴市,江阴,江苏}'::text[] AS region_jy
      FROM demo_arr;

-- Trading-name words of enterprises and the industries they are supervised under.
CREATE TEMP TABLE demo_trade_word (ord serial, word text, industries text[]);
INSERT INTO demo_trade_word (word, industries) VALUES
    ('建设工程', '{construction,work_safety}'), ('建筑安装工程', '{construction,work_safety}'),
    ('市政工程', '{construction,work_safety}'), ('钢结构工程', '{construction,work_safety}'),
    ('装饰工程', '{decoration}'), ('装饰设计工程', '{decoration}'), ('建筑装饰', '{decoration}'),
    ('建材', '{building_materials}'), ('新型建材', '{building_materials}'), ('家居用品', '{building_materials}'),
    ('门窗', '{building_materials}'),
    ('物流', '{transport}'), ('汽车运输', '{transport}'), ('货运', '{transport}'),
    ('水务工程', '{water}'), ('给排水工程', '{water}'),
    ('机械制造', '{work_safety}'), ('化工', '{work_safety}'), ('金属制品', '{work_safety}'),
    ('纺织', '{work_safety}'), ('印染', '{work_safety}'), ('特钢', '{work_safety}'),
    ('新材料', '{work_safety}'), ('电子科技', '{work_safety}'), ('精密机械', '{work_safety}'),
    ('塑业', '{work_safety}'), ('服饰', '{work_safety}'), ('化纤', '{work_safety}'),
    ('五金', '{work_safety}'), ('电缆', '{work_safety}'), ('包装材料', '{work_safety}'),
    ('医药连锁', '{medical_insurance}'), ('大药房', '{medical_insurance}'),
    ('商贸', '{}'), ('贸易', '{}'), ('信息技术', '{}'), ('网络科技', '{}'), ('咨询服务', '{}'),
    ('餐饮管理', '{}'), ('物业管理', '{}'), ('食品', '{}'), ('广告传媒', '{}'), ('文化传播', '{}'),
    ('农业科技', '{}'), ('人力资源', '{}'), ('投资管理', '{}'), ('酒店管理', '{}'), ('房地产开发', '{}');
-- Shop words of individual businesses (个体工商户).
CREATE TEMP TABLE demo_shop_word (ord serial, word text, industries text[]);
INSERT INTO demo_shop_word (word, industries) VALUES
    ('便利店', '{}'), ('超市', '{}'), ('五金店', '{}'), ('面馆', '{}'), ('饭店', '{}'), ('理发店', '{}'),
    ('服装店', '{}'), ('水果店', '{}'), ('烟酒店', '{}'), ('小吃店', '{}'), ('汽车修理部', '{}'),
    ('建材经营部', '{building_materials}'), ('装饰工作室', '{decoration}'), ('家具店', '{building_materials}'),
    ('货运部', '{transport}'), ('物流服务部', '{transport}'), ('诊所', '{medical_insurance}'),
    ('药店', '{medical_insurance}'), ('电器维修部', '{}'), ('粮油店', '{}'), ('茶叶店', '{}'),
    ('照相馆', '{}'), ('洗车店', '{}'), ('手机店', '{}'), ('副食品店', '{}');
-- Kinds of public institution (事业单位) found in each town.
CREATE TEMP TABLE demo_inst_word (ord serial, word text, industries text[]);
INSERT INTO demo_inst_word (word, industries) VALUES
    ('中心小学', '{public_institution}'), ('实验小学', '{public_institution}'), ('初级中学', '{public_institution}'),
    ('高级中学', '{public_institution}'), ('中心幼儿园', '{public_institution}'),
    ('卫生院', '{public_institution,medical_insurance}'), ('社区卫生服务中心', '{public_institution,medical_insurance}'),
    ('文化体育服务中心', '{public_institution}'), ('农业技术推广站', '{public_institution}'),
    ('水利农机站', '{public_institution}'), ('便民服务中心', '{public_institution}'), ('敬老院', '{public_institution}'),
    ('成人教育中心校', '{public_institution}'), ('规划建设服务中心', '{public_institution}'),
    ('退役军人服务站', '{public_institution}');

-- Towns and subdistricts (镇、街道) of the county.
CREATE TEMP TABLE demo_town (ord serial, code text, pinyin text, cn text);
INSERT INTO demo_town (code, pinyin, cn) VALUES
    ('town_chengjiang', 'Chengjiang subdistrict', '澄江街道'), ('town_nanzha', 'Nanzha subdistrict', '南闸街道'),
    ('town_yunting', 'Yunting subdistrict', '云亭街道'), ('town_chengdong', 'Chengdong subdistrict', '城东街道'),
    ('town_xiagang', 'Xiagang subdistrict', '夏港街道'), ('town_shengang', 'Shengang subdistrict', '申港街道'),
    ('town_ligang', 'Ligang subdistrict', '利港街道'), ('town_huangtu', 'Huangtu town', '璜土镇'),
    ('town_yuecheng', 'Yuecheng town', '月城镇'), ('town_qingyang', 'Qingyang town', '青阳镇'),
    ('town_xuxiake', 'Xuxiake town', '徐霞客镇'), ('town_huashi', 'Huashi town', '华士镇'),
    ('town_zhouzhuang', 'Zhouzhuang town', '周庄镇'), ('town_xinqiao', 'Xinqiao town', '新桥镇'),
    ('town_changjing', 'Changjing town', '长泾镇'), ('town_gushan', 'Gushan town', '顾山镇'),
    ('town_zhutang', 'Zhutang town', '祝塘镇');

-- Departments: code, English name, Chinese name (also the name of the unit
-- as a subject), abbreviation used in document numbers, USCC prefix and kind,
-- violation types with their legal basis, licences it grants
-- (certificate|category|content|years of validity).
CREATE TEMP TABLE demo_dept (
    ord serial, code text, en text, cn text, abbr text, reg text, kind credit.subject_kind,
    violations text[] DEFAULT '{}', licences text[] DEFAULT '{}');
INSERT INTO demo_dept (code, en, cn, abbr, reg, kind, violations, licences) VALUES
 ('dev_reform', 'Development and reform commission', '江阴市发展和改革委员会', '澄发改', '11', 'government', '{}', '{}'),
 ('market', 'Market supervision administration', '江阴市市场监督管理局', '澄市监', '11', 'government',
  '{销售不符合食品安全标准的食品|《中华人民共和国食品安全法》第一百二十四条,虚假宣传|《中华人民共和国反不正当竞争法》第二十条,销售不合格产品|《中华人民共和国产品质量法》第五十条,不明码标价|《中华人民共和国价格法》第四十二条,无照经营|《无证无照经营查处办法》第十三条,特种设备未经定期检验继续使用|《中华人民共和国特种设备安全法》第八十四条,发布违法广告|《中华人民共和国广告法》第五十八条}',
  '{食品经营许可证|普通|预包装食品销售、散装食品销售|5,特种设备使用登记证|登记|电梯、压力容器使用登记|5,工业产品生产许可证|普通|建筑用钢筋生产|5}'),
 ('tax', 'Taxation bureau', '国家税务总局江阴市税务局', '澄税', '11', 'government',
  '{未按期进行纳税申报|《中华人民共和国税收征收管理法》第六十二条,偷税|《中华人民共和国税收征收管理法》第六十三条,未按规定设置、保管账簿|《中华人民共和国税收征收管理法》第六十条,虚开发票|《中华人民共和国发票管理办法》第三十五条}', '{}'),
 ('court', 'People''s court', '江阴市人民法院', '澄法', '11', 'government', '{}', '{}'),
 ('hrss', 'Human resources and social security bureau', '江阴市人力资源和社会保障局', '澄人社', '11', 'government',
  '{克扣或者无故拖欠劳动者工资|《保障农民工工资支付条例》第五十四条,违反规定延长劳动者工作时间|《中华人民共和国劳动法》第九十条,未依法缴纳社会保险费|《中华人民共和国社会保险法》第八十六条}',
  '{劳务派遣经营许可证|普通|劳务派遣|3,人力资源服务许可证|普通|职业中介活动|5}'),
 ('housing', 'Housing and urban-rural development bureau', '江阴市住房和城乡建设局', '澄住建', '11', 'government',
  '{未取得施工许可证擅自施工|《建筑工程施工许可管理办法》第十二条,违反工程建设强制性标准|《建设工程质量管理条例》第六十四条,施工扬尘污染防治措施不到位|《中华人民共和国大气污染防治法》第一百一十五条,未按规定办理竣工验收备案|《建设工程质量管理条例》第五十六条}',
  '{建筑工程施工许可证|普通|房屋建筑工程施工|3,建筑业企业资质证书|认可|施工总承包三级|5}'),
 ('transport', 'Transport bureau', '江阴市交通运输局', '澄交', '11', 'government',
  '{超限运输|《公路安全保护条例》第六十四条,未取得道路运输经营许可擅自从事道路运输|《中华人民共和国道路运输条例》第六十三条,未按规定维护和检测运输车辆|《中华人民共和国道路运输条例》第七十条}',
  '{道路运输经营许可证|普通|普通货运|4,港口经营许可证|普通|港口货物装卸|3}'),
 ('water', 'Water resources bureau', '江阴市水利农机局', '澄水', '11', 'government',
  '{未经批准擅自取水|《中华人民共和国水法》第六十九条,河道管理范围内违法建设|《中华人民共和国防洪法》第五十五条}',
  '{取水许可证|普通|取用地表水|5,河道管理范围内建设项目许可|普通|跨河桥梁建设|3}'),
 ('emergency', 'Emergency management bureau', '江阴市应急管理局', '澄应急', '11', 'government',
  '{未按规定开展安全生产教育和培训|《中华人民共和国安全生产法》第九十七条,未及时消除生产安全事故隐患|《中华人民共和国安全生产法》第一百零二条,危险化学品储存不符合规定|《危险化学品安全管理条例》第八十条,特种作业人员未持证上岗|《中华人民共和国安全生产法》第九十七条}',
  '{危险化学品经营许可证|普通|危险化学品批发（不带储存设施）|3,烟花爆竹经营（零售）许可证|普通|烟花爆竹零售|3}'),
 ('medical_insurance', 'Medical security bureau', '江阴市医疗保障局', '澄医保', '11', 'government',
  '{骗取医疗保障基金支出|《医疗保障基金使用监督管理条例》第四十条,超标准收费|《医疗保障基金使用监督管理条例》第三十八条}', '{}'),
 ('education', 'Education bureau', '江阴市教育局', '澄教', '11', 'government',
  '{未经批准擅自举办校外培训机构|《中华人民共和国民办教育促进法》第六十四条}',
  '{民办学校办学许可证|普通|文化教育类培训|5}'),
 ('ecology', 'Ecology and environment bureau', '无锡市江阴生态环境局', '澄环', '11', 'government',
  '{超标排放大气污染物|《中华人民共和国大气污染防治法》第九十九条,未批先建|《中华人民共和国环境影响评价法》第三十一条,违法排放水污染物|《中华人民共和国水污染防治法》第八十三条,危险废物未按规定贮存|《中华人民共和国固体废物污染环境防治法》第一百一十二条}',
  '{排污许可证|普通|重点管理排污单位|5,建设项目环境影响评价批复|核准|环境影响报告表批复|5}'),
 ('public_security', 'Public security bureau', '江阴市公安局', '澄公', '11', 'government',
  '{违反治安管理|《中华人民共和国治安管理处罚法》第五十四条,未按规定登记住宿旅客信息|《中华人民共和国治安管理处罚法》第五十六条}',
  '{特种行业许可证|特许|旅馆业|5,公章刻制业特种行业许可证|特许|公章刻制|5}'),
 ('natural_resources', 'Natural resources and planning bureau', '江阴市自然资源和规划局', '澄自然资源', '11', 'government',
  '{非法占用土地|《中华人民共和国土地管理法》第七十七条,未按规划许可建设|《中华人民共和国城乡规划法》第六十四条}',
  '{建设工程规划许可证|普通|工业厂房建设|3,建设用地规划许可证|普通|工业用地|3}'),
 ('urban_management', 'Urban management bureau', '江阴市城市管理局', '澄城管', '11', 'government',
  '{占道经营|《江苏省城市市容和环境卫生管理条例》第四十六条,擅自设置户外广告|《城市市容和环境卫生管理条例》第三十四条,乱倒建筑垃圾|《城市建筑垃圾管理规定》第二十六条}', '{}'),
 ('health', 'Health commission', '江阴市卫生健康委员会', '澄卫', '11', 'government',
  '{未取得医疗机构执业许可证擅自执业|《医疗机构管理条例》第四十三条,公共场所卫生不合格|《公共场所卫生管理条例实施细则》第三十六条}',
  '{医疗机构执业许可证|普通|内科、外科诊疗|5,公共场所卫生许可证|普通|住宿、美容美发|4}'),
 ('culture_tourism', 'Culture, sports, radio, television and tourism bureau', '江阴市文体广电和旅游局', '澄文旅', '11', 'government',
  '{网吧接纳未成年人|《互联网上网服务营业场所管理条例》第三十一条,未与旅游者签订旅游合同|《中华人民共和国旅游法》第一百条}',
  '{娱乐经营许可证|普通|歌舞娱乐场所|5,旅行社业务经营许可证|普通|国内旅游业务|5}'),
 ('agriculture', 'Agriculture and rural affairs bureau', '江阴市农业农村局', '澄农', '11', 'government',
  '{销售假劣农药|《农药管理条例》第五十五条,经营假劣兽药|《兽药管理条例》第五十六条}',
  '{农药经营许可证|普通|农药零售|5,动物防疫条件合格证|认可|畜禽养殖场|5}'),
 ('commerce', 'Commerce bureau', '江阴市商务局', '澄商', '11', 'government',
  '{单用途预付卡未按规定备案|《单用途商业预付卡管理办法（试行）》第三十六条}',
  '{成品油零售经营批准证书|核准|成品油零售|5}'),
 ('civil_affairs', 'Civil affairs bureau', '江阴市民政局', '澄民', '11', 'government', '{}', '{}'),
 ('fire', 'Fire and rescue brigade', '江阴市消防救援大队', '澄消', '11', 'government',
  '{消防设施、器材未保持完好有效|《中华人民共和国消防法》第六十条,占用、堵塞消防车通道|《中华人民共和国消防法》第六十条}',
  '{公众聚集场所投入使用、营业前消防安全检查合格证|其他|商场营业前消防安全检查|5}'),
 ('institution_registration', 'Public institution registration administration', '江阴市事业单位登记管理局', '澄编', '11', 'government', '{}', '{}'),
 ('public_resource', 'Public resource trading centre', '江阴市公共资源交易中心', '澄交易', '12', 'institution', '{}', '{}'),
 ('bank_icbc', 'Industrial and Commercial Bank of China, Jiangyin', '中国工商银行股份有限公司江阴支行', '工行', '91', 'enterprise', '{}', '{}'),
 ('bank_ccb', 'China Construction Bank, Jiangyin', '中国建设银行股份有限公司江阴支行', '建行', '91', 'enterprise', '{}', '{}'),
 ('bank_jyrcb', 'Jiangyin Rural Commercial Bank', '江苏江阴农村商业银行股份有限公司', '江阴农商行', '91', 'enterprise', '{}', '{}'),
 ('power', 'State Grid Jiangyin power supply', '国网江苏省电力有限公司江阴市供电分公司', '供电', '91', 'enterprise', '{}', '{}'),
 ('water_supply', 'Jiangyin water group', '江阴市水务集团有限公司', '水务', '91', 'enterprise', '{}', '{}'),
 ('gas', 'Jiangyin gas company', '江阴华润燃气有限公司', '燃气', '91', 'enterprise', '{}', '{}');
INSERT INTO demo_dept (code, en, cn, abbr, reg, kind, violations)
SELECT code, pinyin, '江阴市' || cn || CASE WHEN cn LIKE '%街道' THEN '办事处' ELSE '人民政府' END,
       '澄' || left(cn, 2), '11', 'government',
       '{占道经营|《江苏省城市市容和环境卫生管理条例》第四十六条,违法建设|《中华人民共和国城乡规划法》第六十五条,露天焚烧秸秆|《中华人民共和国大气污染防治法》第一百一十九条}'
  FROM demo_town ORDER BY ord;
INSERT INTO demo_timing (step, n) SELECT 'word lists', count(*) FROM demo_list;
\if :{?demo_progress}
:demo_phase_line \gset
\echo :demo_line
\endif

-- 1. Subjects.  Org-code bodies are unique per (group, k): group g uses idx g*10^7 + k.
--    Departments (group 0) first, as subjects of their own kind.
INSERT INTO credit.subject (kind, name, uscc, division, status)
SELECT d.kind, d.cn,
       pg_temp.demo_uscc(d.reg, '320281', pg_temp.demo_org_body(d.ord, NULL))::credit.uscc, '320281', 'active'
  FROM demo_dept d
 WHERE NOT EXISTS (SELECT 1 FROM credit.department x WHERE x.code = d.code)
 ORDER BY d.ord;
INSERT INTO credit.department (code, name, uscc, role)
SELECT d.code, d.en || ' (' || d.cn || ')', s.uscc, 'credit_dept_' || d.code
  FROM demo_dept d
  JOIN credit.subject s ON s.name = d.cn AND s.id > (SELECT first_id FROM demo_param)
 ORDER BY d.ord
ON CONFLICT (code) DO NOTHING;

-- Government organs of the towns (group 1), a fixed number per county.
INSERT INTO credit.subject (kind, name, uscc, division)
SELECT 'government', '江阴市' || t.cn || o.val,
       pg_temp.demo_uscc('11', '320281', pg_temp.demo_org_body(10000000 + k, NULL))::credit.uscc, '320281'
  FROM demo_param p,
       generate_series(0, least(round(40 * p.scale), 102)::int - 1) AS k
  JOIN demo_town t ON t.ord = k % 17 + 1
  JOIN demo_list o ON o.list = 'organ' AND o.ord = (SELECT min(ord) FROM demo_list WHERE list = 'organ') + k / 17
 ORDER BY k;

-- Public institutions (group 2): schools, health centres, service centres of each town.
INSERT INTO credit.subject (kind, name, uscc, division, industries)
SELECT 'institution',
       '江阴市' || t.cn || CASE WHEN k >= 255 THEN w.trade[1 + (k / 255) % 50] || w.trade[1 + (k / 12750) % 50] ELSE '' END || i.word,
       pg_temp.demo_uscc('12', '320281', pg_temp.demo_org_body(20000000 + k, NULL))::credit.uscc, '320281', i.industries
  FROM demo_param p, demo_w w,
       generate_series(0, round(420 * p.scale)::int - 1) AS k
  JOIN demo_town t ON t.ord = k % 17 + 1
  JOIN demo_inst_word i ON i.ord = (k / 17) % 15 + 1
 ORDER BY k;

-- Social organisations (group 3): associations (51), private non-enterprise units (52), foundations (53).
INSERT INTO credit.subject (kind, name, uscc, division, registered_on, legal_rep)
SELECT 'social_org', name,
       pg_temp.demo_uscc(reg, '320281', pg_temp.demo_org_body(30000000 + k, CASE WHEN reg_on >= date '2016-01-01' THEN 'MJ' END))::credit.uscc,
       '320281', reg_on, rep
  FROM (SELECT k,
               CASE WHEN u < 0.45 THEN '51' WHEN u < 0.9 THEN '52' ELSE '53' END AS reg,
               -- names are digits of k in a mixed radix, unique within each type
               CASE WHEN u < 0.45 THEN '江阴市' || coalesce(t.a[(k / 120) % 18], '')
                                       || CASE WHEN k >= 2160 THEN w.trade[1 + (k / 2160) % 50] ELSE '' END
                                       || w.sector[1 + k % 30] || w.social_suffix[1 + (k / 30) % 4]
                    WHEN u < 0.9 THEN '江阴市' || pg_temp.demo_pair(w.trade, k::bigint * 7919 % 14700 % 2450)
                                      || w.nonprofit[1 + k::bigint * 7919 % 14700 / 2450]
                    ELSE '江阴市' || pg_temp.demo_pair(w.trade, k::bigint * 7919 % 2450) || '慈善基金会' END AS name,
               date '1995-01-01' + floor(u5 * (date '2020-12-31' - date '1995-01-01'))::int AS reg_on,
               pg_temp.demo_pick(w.surname, u6) || pg_temp.demo_pick(w.given_m, u7) AS rep
          FROM (SELECT k, random() AS u, random() AS u2, random() AS u3, random() AS u4, random() AS u5,
                       random() AS u6, random() AS u7
                  FROM demo_param p, generate_series(0, round(300 * p.scale)::int - 1) AS k) r,
               demo_w w, (SELECT array_agg(cn ORDER BY ord) AS a FROM demo_town) t) s
 ORDER BY k;

-- Enterprises (group 4): region + trade name + trade word + legal form, unique up to 117,600 names.
INSERT INTO credit.subject (kind, name, uscc, division, industries, legal_rep, registered_on, status)
SELECT 'enterprise',
       CASE WHEN division = '320281' THEN pg_temp.demo_pick(w.region_jy, u_region)
            WHEN division LIKE '3202%' THEN '无锡'
            WHEN division = '320582' THEN '张家港市' WHEN division = '321282' THEN '靖江市'
            ELSE '常州' END
       || pg_temp.demo_pair(w.trade, t)
       || tw.word || pg_temp.demo_pick(w.legal_form, u_form),
       pg_temp.demo_uscc('91', division, pg_temp.demo_org_body(40000000 + k, CASE WHEN reg_on >= date '2015-10-01' THEN 'MA' END))::credit.uscc,
       division, tw.industries,
       pg_temp.demo_pick(w.surname, u_rep1) || pg_temp.demo_pick(w.given_m, u_rep2) || CASE WHEN u_rep3 < 0.6 THEN pg_temp.demo_pick(w.given_m, u_rep3 / 0.6) ELSE '' END,
       reg_on,
       CASE WHEN u_status < 0.03 THEN 'deregistered' WHEN u_status < 0.04 THEN 'revoked' ELSE 'active' END
  FROM (SELECT k, (k::bigint * 7919) % 117600 % 2450 AS t, (k::bigint * 7919) % 117600 / 2450 + 1 AS word_ord,
               pg_temp.demo_pick(w.org_division, u_div) AS division,
               date '1992-01-01' + floor(u_reg * (date '2020-12-31' - date '1992-01-01'))::int AS reg_on,
               u_region, u_form, u_rep1, u_rep2, u_rep3, u_status
          FROM (SELECT k, random() AS u_div, random() AS u_reg, random() AS u_region, random() AS u_form,
                       random() AS u_rep1, random() AS u_rep2, random() AS u_rep3, random() AS u_status
                  FROM demo_param p, generate_series(0, round(7000 * p.scale)::int - 1) AS k) r,
               demo_w w) s
  JOIN demo_trade_word tw ON tw.ord = s.word_ord
 CROSS JOIN demo_w w
 ORDER BY k;

-- Individual businesses (group 5, 个体工商户, USCC 92): county + town + trade name + shop word.
INSERT INTO credit.subject (kind, name, uscc, division, industries, legal_rep, registered_on, status)
SELECT 'enterprise',
       '江阴市' || pg_temp.demo_pick(tn.a, u_town)
       || pg_temp.demo_pair(w.trade, t) || sw.word,
       pg_temp.demo_uscc('92', '320281', pg_temp.demo_org_body(50000000 + k, CASE WHEN reg_on >= date '2015-10-01' THEN 'MA' END))::credit.uscc,
       '320281', sw.industries,
       pg_temp.demo_pick(w.surname, u_rep1) || pg_temp.demo_pick(w.given_m, u_rep2),
       reg_on,
       CASE WHEN u_status < 0.06 THEN 'deregistered' ELSE 'active' END
  FROM (SELECT k, (k::bigint * 7919) % 61250 % 2450 AS t, (k::bigint * 7919) % 61250 / 2450 + 1 AS word_ord,
               date '1998-01-01' + floor(u_reg * (date '2020-12-31' - date '1998-01-01'))::int AS reg_on,
               u_town, u_rep1, u_rep2, u_status
          FROM (SELECT k, random() AS u_reg, random() AS u_town, random() AS u_rep1, random() AS u_rep2,
                       random() AS u_status
                  FROM demo_param p, generate_series(0, round(4500 * p.scale)::int - 1) AS k) r) s
  JOIN demo_shop_word sw ON sw.ord = s.word_ord
 CROSS JOIN demo_w w
 CROSS JOIN (SELECT array_agg(cn ORDER BY ord) AS a FROM demo_town) tn
 ORDER BY k;

-- Farmers' cooperatives (group 6, 农民专业合作社, USCC 93), unique up to 29,400 names.
INSERT INTO credit.subject (kind, name, uscc, division, legal_rep, registered_on)
SELECT 'enterprise',
       '江阴市' || pg_temp.demo_pick(tn.a, u_town) || pg_temp.demo_pair(w.trade, k::bigint * 7919 % 29400 % 2450)
       || w.crop[1 + k::bigint * 7919 % 29400 / 2450] || '专业合作社',
       pg_temp.demo_uscc('93', '320281', pg_temp.demo_org_body(60000000 + k, 'MA'))::credit.uscc,
       '320281', pg_temp.demo_pick(w.surname, u4) || pg_temp.demo_pick(w.given_m, u5),
       date '2008-01-01' + floor(u6 * (date '2020-12-31' - date '2008-01-01'))::int
  FROM (SELECT k, random() AS u_town, random() AS u1, random() AS u2, random() AS u3, random() AS u4,
               random() AS u5, random() AS u6
          FROM demo_param p, generate_series(0, round(300 * p.scale)::int - 1) AS k) r
 CROSS JOIN demo_w w
 CROSS JOIN (SELECT array_agg(cn ORDER BY ord) AS a FROM demo_town) tn
 ORDER BY k;

-- Individuals: resident ID numbers unique per k (birth day and sequence from a
-- bijection of k), born 1945-2006, mostly registered in Jiangyin.
INSERT INTO credit.subject (kind, name, person_id, division, status)
SELECT 'individual',
       pg_temp.demo_pick(w.surname, u_sur)
       || pg_temp.demo_pick(CASE WHEN male THEN w.given_m ELSE w.given_f END, u_g1)
       || CASE WHEN u_g2 < 0.7 THEN pg_temp.demo_pick(CASE WHEN male THEN w.given_m ELSE w.given_f END, u_g2 / 0.7) ELSE '' END,
       pg_temp.demo_resident_id(addr, date '1945-01-01' + (j % 22645)::int,
                                (2 * (j / 22645) + CASE WHEN male THEN 1 ELSE 2 END)::int)::credit.resident_id,
       addr,
       CASE WHEN u_status < 0.005 THEN 'deceased' ELSE 'active' END
  FROM (SELECT k, (k::bigint * 1000003) % 11299855 AS j, pg_temp.demo_pick(w.person_addr, u_addr) AS addr,
               u_sex < 0.51 AS male, u_sur, u_g1, u_g2, u_status
          FROM (SELECT k, random() AS u_addr, random() AS u_sex, random() AS u_sur, random() AS u_g1,
                       random() AS u_g2, random() AS u_status
                  FROM demo_param p, generate_series(0, round(7400 * p.scale)::int - 1) AS k) r,
               demo_w w) s
 CROSS JOIN demo_w w
 ORDER BY k;
UPDATE demo_param SET last_id = nextval(pg_get_serial_sequence('credit.subject', 'id'));
INSERT INTO demo_timing (step, n)
    SELECT 'subjects', count(*) FROM credit.subject, demo_param p WHERE id > p.first_id AND id < p.last_id;
\if :{?demo_progress}
:demo_phase_line \gset
\echo :demo_line
\endif

-- 2. Pools of subjects that records are drawn from, each ordered by a hidden
--    risk (riskiest first): negative records fall on the head of a pool, with
--    a Zipf-like tail; positive ones prefer its clean end.
CREATE TEMP TABLE demo_risk AS
    SELECT id, kind, uscc, industries, random() AS risk, random() AS u_borrow
      FROM (SELECT id, kind, uscc::text AS uscc, industries FROM credit.subject
             WHERE id > (SELECT first_id FROM demo_param) AND id < (SELECT last_id FROM demo_param)
             ORDER BY id OFFSET 0) s;
CREATE TEMP TABLE demo_pool AS
    SELECT pool, (row_number() OVER (PARTITION BY pool ORDER BY risk DESC, id) - 1)::int AS rn, id AS subject_id
      FROM demo_risk r
     CROSS JOIN LATERAL unnest(
           CASE r.kind WHEN 'enterprise' THEN ARRAY['company', 'org', 'all',
                                                    CASE left(r.uscc, 2) WHEN '91' THEN 'firm' WHEN '92' THEN 'shop' ELSE 'coop' END]
                       WHEN 'social_org' THEN '{org,all}' WHEN 'institution' THEN '{org,all}'
                       WHEN 'individual' THEN '{person,all}' ELSE '{}' END
           || CASE WHEN r.u_borrow < CASE r.kind WHEN 'enterprise' THEN 0.4 WHEN 'individual' THEN 0.25 ELSE 0 END
                   THEN '{borrower}'::text[] ELSE '{}' END
           || ARRAY(SELECT 'ind:' || i FROM unnest(r.industries) AS i)) AS p(pool);
ALTER TABLE demo_pool ADD PRIMARY KEY (pool, rn);
ANALYZE demo_pool;

-- 3. The mix: which department reports which item about which pool, how
--    often (weight, per mille) and how skewed (mode).  '*town' spreads the
--    rows over the towns.
CREATE TEMP TABLE demo_mix (
    ord serial, item_code text, dept text, pool text, weight numeric, mode text,
    n_rec int, pool_n int, reach float8, expo float8, head float8, from_clean boolean, dp boolean);
INSERT INTO demo_mix (item_code, dept, pool, weight, mode) VALUES
    ('loan_repaid', 'bank_icbc', 'borrower', 100, 'even'), ('loan_repaid', 'bank_ccb', 'borrower', 80, 'even'),
    ('loan_repaid', 'bank_jyrcb', 'borrower', 120, 'even'),
    ('loan_overdue', 'bank_icbc', 'borrower', 6, 'general'), ('loan_overdue', 'bank_ccb', 'borrower', 5, 'general'),
    ('loan_overdue', 'bank_jyrcb', 'borrower', 9, 'general'),
    ('loan_default', 'bank_icbc', 'borrower', 0.6, 'serious'), ('loan_default', 'bank_ccb', 'borrower', 0.5, 'serious'),
    ('loan_default', 'bank_jyrcb', 'borrower', 0.9, 'serious'),
    ('utility_arrears', 'power', 'all', 12, 'minor'), ('utility_arrears', 'water_supply', 'all', 5, 'minor'),
    ('utility_arrears', 'gas', 'all', 4, 'minor'),
    ('license', 'market', 'company', 15, 'even'), ('license', 'housing', 'ind:construction', 8, 'even'),
    ('license', 'transport', 'ind:transport', 7, 'even'), ('license', 'ecology', 'ind:work_safety', 5, 'even'),
    ('license', 'health', 'org', 4, 'even'), ('license', 'emergency', 'ind:work_safety', 3, 'even'),
    ('license', 'water', 'ind:work_safety', 2, 'even'), ('license', 'public_security', 'company', 3, 'even'),
    ('license', 'culture_tourism', 'company', 3, 'even'), ('license', 'education', 'org', 1, 'even'),
    ('license', 'agriculture', 'coop', 1, 'even'), ('license', 'agriculture', 'shop', 2, 'even'), ('license', 'natural_resources', 'firm', 3, 'even'),
    ('license', 'commerce', 'company', 1, 'even'), ('license', 'fire', 'org', 2, 'even'),
    ('license', 'hrss', 'company', 1, 'even'),
    ('penalty_warning', 'market', 'company', 1.5, 'minor'), ('penalty_warning', 'urban_management', 'shop', 1, 'minor'),
    ('penalty_warning', '*town', 'shop', 0.5, 'minor'),
    ('penalty_minor', 'market', 'company', 2, 'minor'), ('penalty_minor', 'urban_management', 'shop', 1.5, 'minor'),
    ('penalty_minor', 'transport', 'ind:transport', 1, 'minor'), ('penalty_minor', '*town', 'shop', 1.5, 'minor'),
    ('penalty_general', 'market', 'company', 2, 'general'), ('penalty_general', 'tax', 'firm', 1, 'general'),
    ('penalty_general', 'ecology', 'ind:work_safety', 1, 'general'), ('penalty_general', 'emergency', 'ind:work_safety', 1, 'general'),
    ('penalty_general', 'housing', 'ind:construction', 0.8, 'general'), ('penalty_general', 'transport', 'ind:transport', 0.6, 'general'),
    ('penalty_general', 'natural_resources', 'firm', 0.4, 'general'), ('penalty_general', 'fire', 'org', 0.5, 'general'),
    ('penalty_general', 'hrss', 'company', 0.3, 'general'), ('penalty_general', 'health', 'org', 0.2, 'general'),
    ('penalty_general', 'culture_tourism', 'company', 0.2, 'general'), ('penalty_general', 'water', 'company', 0.2, 'general'),
    ('penalty_general', 'medical_insurance', 'ind:medical_insurance', 0.3, 'general'),
    ('penalty_general', 'agriculture', 'coop', 0.1, 'general'), ('penalty_general', 'commerce', 'company', 0.1, 'general'),
    ('penalty_general', 'education', 'org', 0.05, 'general'), ('penalty_general', 'public_security', 'company', 0.2, 'general'),
    ('penalty_general', '*town', 'firm', 0.5, 'general'),
    ('penalty_serious', 'market', 'company', 0.3, 'serious'), ('penalty_serious', 'ecology', 'ind:work_safety', 0.25, 'serious'),
    ('penalty_serious', 'emergency', 'ind:work_safety', 0.2, 'serious'), ('penalty_serious', 'natural_resources', 'firm', 0.1, 'serious'),
    ('penalty_serious', 'tax', 'firm', 0.1, 'serious'), ('penalty_serious', 'medical_insurance', 'ind:medical_insurance', 0.05, 'serious'),
    ('person_penalty_general', 'public_security', 'person', 2, 'general'),
    ('person_penalty_general', 'transport', 'person', 0.5, 'general'),
    ('person_penalty_general', 'urban_management', 'person', 0.5, 'general'),
    ('person_penalty_serious', 'public_security', 'person', 0.5, 'serious'),
    ('list_serious_dishonesty', 'dev_reform', 'company', 0.05, 'serious'),
    ('list_dishonest_debtor', 'court', 'company', 0.25, 'serious'),
    ('list_abnormal_operation', 'market', 'company', 1, 'general'),
    ('list_key_attention', 'dev_reform', 'company', 0.2, 'general'),
    ('list_red_tax_a', 'tax', 'firm', 3, 'good'), ('list_red_honour', 'dev_reform', 'company', 0.5, 'good'),
    ('tax_grade_a', 'tax', 'firm', 10, 'good'), ('tax_grade_d', 'tax', 'firm', 1, 'general'),
    ('tax_arrears', 'tax', 'company', 5, 'general'),
    ('honour_national', 'dev_reform', 'org', 0.05, 'good'), ('honour_provincial', 'hrss', 'org', 0.3, 'good'),
    ('honour_city', 'commerce', 'org', 1, 'good'), ('honour_county', 'dev_reform', 'org', 1.5, 'good'),
    ('honour_township', '*town', 'org', 2, 'good'), ('honour_village', '*town', 'org', 2, 'good'),
    ('contract_breach', 'public_resource', 'company', 1.5, 'general'), ('contract_breach', 'market', 'company', 0.5, 'general'),
    ('lawsuit_breach_lost', 'court', 'person', 1, 'general'),
    ('public_equipment_damage', 'public_security', 'person', 0.2, 'serious'),
    ('social_insurance_arrears', 'hrss', 'company', 8, 'general'),
    ('commitment_kept', 'dev_reform', 'company', 30, 'even'), ('commitment_broken', 'dev_reform', 'company', 1, 'general'),
    ('volunteer_service', 'civil_affairs', 'person', 10, 'good'), ('volunteer_service', '*town', 'person', 20, 'good'),
    ('charity_donation', 'civil_affairs', 'org', 3, 'good'), ('blood_donation', 'health', 'person', 10, 'even');
-- Supervision indicators of the eight industries (daily, double-random, key supervision).
INSERT INTO demo_mix (item_code, dept, pool, weight, mode)
SELECT i.code || '_' || x.suffix, d.dept, 'ind:' || i.code, x.w * i.share * d.share, x.mode
  FROM (VALUES ('work_safety', 0.35), ('construction', 0.15), ('decoration', 0.08), ('building_materials', 0.10),
               ('transport', 0.12), ('water', 0.05), ('medical_insurance', 0.08), ('public_institution', 0.07)) AS i(code, share)
 CROSS JOIN (VALUES ('daily_ok', 220, 'even'), ('random_pass', 60, 'even'), ('daily_issue', 30, 'minor'),
                    ('random_fail', 8, 'general'), ('key_supervision', 2, 'general')) AS x(suffix, w, mode)
 CROSS JOIN LATERAL (SELECT * FROM (VALUES
        (CASE i.code WHEN 'work_safety' THEN 'emergency' WHEN 'construction' THEN 'housing' WHEN 'decoration' THEN 'housing'
                     WHEN 'building_materials' THEN 'market' WHEN 'transport' THEN 'transport' WHEN 'water' THEN 'water'
                     WHEN 'medical_insurance' THEN 'medical_insurance' ELSE 'institution_registration' END,
         CASE WHEN i.code = 'work_safety' AND x.suffix = 'daily_ok' THEN 0.5 ELSE 1 END),
        ('*town', 0.5)) AS v(dept, share)
     WHERE v.dept <> '*town' OR (i.code = 'work_safety' AND x.suffix = 'daily_ok')) AS d
 ORDER BY i.code, x.w DESC;
-- Organisations' records are calibrated so that the comprehensive evaluation
-- grades enterprises about as Zhejiang's 2018 public credit evaluation did
-- (A 2.3 %, B 76.4 %, C 20.0 %, D 1.3 %; docs/demo.md): negative items are
-- spread over the riskier half of a pool (serious ones over most of it)
-- rather than piled on its head (a subject hit by every kind of item falls to
-- the model's floors), minor and general ones at 35 % and serious ones at
-- 80 % of their weight, and the positive items of mode 'good' go to the
-- cleanest 2 %.  Persons keep a steeper shape (no published figure).
UPDATE demo_mix m SET
    n_rec = round(p.n_records * m.weight / t.total
                  * CASE WHEN m.pool = 'person' THEN 1 WHEN m.mode IN ('minor', 'general') THEN 0.35
                         WHEN m.mode = 'serious' THEN 0.8 ELSE 1 END),
    pool_n = (SELECT count(*) FROM demo_pool WHERE pool = m.pool),
    reach = CASE WHEN m.mode = 'even' THEN 1
                 WHEN m.pool = 'person' THEN CASE m.mode WHEN 'good' THEN 0.6 WHEN 'minor' THEN 0.3 WHEN 'general' THEN 0.25 ELSE 0.08 END
                 ELSE CASE m.mode WHEN 'good' THEN 0.018 WHEN 'minor' THEN 0.5 WHEN 'general' THEN 0.45 ELSE 0.8 END END,
    expo = CASE WHEN m.mode = 'even' THEN 1
                WHEN m.pool = 'person' THEN CASE m.mode WHEN 'good' THEN 1.5 WHEN 'minor' THEN 2.5 WHEN 'general' THEN 3 ELSE 2 END
                WHEN m.mode = 'good' THEN 1.5 ELSE 1.1 END,
    head = CASE m.mode WHEN 'even' THEN 0 ELSE 0.05 END,
    from_clean = m.mode = 'good',
    dp = c.category IN ('license', 'penalty')
  FROM demo_param p, (SELECT sum(weight) AS total FROM demo_mix) t, credit.catalog_item c
 WHERE c.code = m.item_code;
ALTER TABLE demo_mix ALTER n_rec SET NOT NULL;   -- every item is in the catalogue
DELETE FROM demo_mix WHERE pool_n = 0 OR n_rec = 0;
CREATE TEMP TABLE demo_towns AS SELECT array_agg(code ORDER BY ord) AS a FROM demo_town;
ANALYZE demo_mix;

-- 4. Records other than double publicity: financial, utility, supervision,
--    tax, lists, honours, commitments, social conduct.
WITH ins AS (
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, value, amount, details)
SELECT p.subject_id, g.item_code, g.dept,
       CASE g.item_code
            WHEN 'list_dishonest_debtor' THEN format('(%s)苏0281执%s号', extract(year FROM g.decided_on), 1000 + g.i)
            WHEN 'lawsuit_breach_lost' THEN format('(%s)苏0281民初%s号', extract(year FROM g.decided_on), 2000 + g.i)
       END,
       g.decided_on,
       CASE WHEN g.item_code = 'loan_overdue' THEN 1 + floor(6 * g.u1 ^ 3)
            WHEN g.item_code = 'volunteer_service' THEN 2 + floor(38 * g.u1 ^ 2)
            WHEN g.item_code = 'blood_donation' THEN (ARRAY[200, 300, 400])[1 + floor(g.u1 * 3)::int]
            ELSE 1 END,
       CASE WHEN g.item_code = 'loan_repaid' THEN pg_temp.demo_amount(2000, 200000, g.u2, 100)
            WHEN g.item_code = 'loan_overdue' THEN pg_temp.demo_amount(10000, 5000000, g.u2, 1000)
            WHEN g.item_code = 'loan_default' THEN pg_temp.demo_amount(100000, 20000000, g.u2, 10000)
            WHEN g.item_code = 'utility_arrears' THEN pg_temp.demo_amount(300, 300000, g.u2, 1)
            WHEN g.item_code = 'tax_arrears' THEN pg_temp.demo_amount(5000, 2000000, g.u2, 1)
            WHEN g.item_code = 'social_insurance_arrears' THEN pg_temp.demo_amount(10000, 1000000, g.u2, 1)
            WHEN g.item_code IN ('contract_breach', 'lawsuit_breach_lost') THEN pg_temp.demo_amount(5000, 2000000, g.u2, 100)
            WHEN g.item_code = 'list_dishonest_debtor' THEN pg_temp.demo_amount(50000, 5000000, g.u2, 100)
            WHEN g.item_code = 'public_equipment_damage' THEN pg_temp.demo_amount(500, 20000, g.u2, 10)
            WHEN g.item_code = 'charity_donation' THEN pg_temp.demo_amount(1000, 1000000, g.u2, 1000)
       END,
       CASE
         WHEN g.category = 'loan' THEN jsonb_build_object('loan_type', pg_temp.demo_pick(w.loan_type, g.u3),
                                                          'cycle', to_char(g.decided_on, 'YYYY-MM'))
         WHEN g.category = 'utility' THEN jsonb_build_object(
              'utility', CASE g.dept WHEN 'power' THEN 'electricity' WHEN 'gas' THEN 'gas' ELSE 'water' END,
              'months', 1 + floor(6 * g.u3 ^ 2))
         WHEN g.category = 'supervision' THEN jsonb_build_object(
              'inspection', CASE WHEN g.item_code LIKE '%random%' THEN 'double_random'
                                 WHEN g.item_code LIKE '%key%' THEN 'key_supervision' ELSE 'daily' END,
              'result', CASE WHEN g.polarity = 'positive' THEN '合格' ELSE '发现问题' END)
              || CASE WHEN g.polarity = 'negative' THEN jsonb_build_object('finding', pg_temp.demo_pick(w.finding, g.u3))
                      ELSE '{}' END
         WHEN g.item_code IN ('tax_grade_a', 'tax_grade_d', 'list_red_tax_a') THEN
              jsonb_build_object('tax_year', extract(year FROM g.decided_on)::int - 1)
         WHEN g.item_code = 'tax_arrears' THEN jsonb_build_object('tax_type', pg_temp.demo_pick(w.tax_type, g.u3))
         WHEN g.category = 'list' THEN jsonb_build_object('list_name', g.item_name,
              'reason', CASE g.item_code
                  WHEN 'list_dishonest_debtor' THEN '有履行能力而拒不履行生效法律文书确定义务'
                  WHEN 'list_serious_dishonesty' THEN '严重违法失信行为'
                  WHEN 'list_abnormal_operation' THEN '未按规定期限公示年度报告'
                  WHEN 'list_key_attention' THEN '多次受到行政处罚'
                  ELSE '守信激励' END)
         WHEN g.category = 'honour' THEN jsonb_build_object('title',
              CASE g.item_code
                  WHEN 'honour_national' THEN '全国五一劳动奖状'
                  WHEN 'honour_provincial' THEN '江苏省文明单位'
                  WHEN 'honour_city' THEN '无锡市守合同重信用企业'
                  WHEN 'honour_county' THEN '江阴市诚信示范企业'
                  WHEN 'honour_township' THEN '镇（街道）优秀企业'
                  ELSE '村（社区）最美志愿服务单位' END)
         WHEN g.item_code IN ('contract_breach', 'lawsuit_breach_lost') THEN
              jsonb_build_object('contract', pg_temp.demo_pick(w.contract, g.u3))
         WHEN g.item_code = 'public_equipment_damage' THEN jsonb_build_object('facility', pg_temp.demo_pick(w.facility, g.u3))
         WHEN g.item_code = 'social_insurance_arrears' THEN jsonb_build_object('months', 1 + floor(12 * g.u3 ^ 2))
         WHEN g.category = 'commitment' THEN jsonb_build_object('commitment_type', pg_temp.demo_pick(w.commitment, g.u3))
         WHEN g.item_code = 'volunteer_service' THEN jsonb_build_object('activity', pg_temp.demo_pick(w.activity, g.u3))
         WHEN g.item_code = 'charity_donation' THEN jsonb_build_object('recipient', '江阴市慈善总会')
         ELSE '{}'
       END
  FROM (SELECT r.*, c.category, c.polarity, c.name AS item_name,
               (SELECT today FROM demo_param) - floor(1826 * r.u_day)::int AS decided_on,
               pg_temp.demo_rank(r.pool_n, r.reach, r.expo, r.head, r.from_clean, r.u_rank) AS rn,
               CASE WHEN r.dept0 = '*town' THEN pg_temp.demo_pick(t.a, r.u_town) ELSE r.dept0 END AS dept
          FROM (SELECT m.ord, m.item_code, m.dept AS dept0, m.pool, m.pool_n, m.reach, m.expo, m.head, m.from_clean, i,
                       random() AS u_rank, random() AS u_day, random() AS u_town,
                       random() AS u1, random() AS u2, random() AS u3
                  FROM demo_mix m CROSS JOIN LATERAL generate_series(1, m.n_rec) AS i
                 WHERE NOT m.dp) r
          JOIN credit.catalog_item c ON c.code = r.item_code
         CROSS JOIN demo_towns t) g
  JOIN demo_pool p ON p.pool = g.pool AND p.rn = g.rn
 CROSS JOIN demo_w w
RETURNING 1)
INSERT INTO demo_timing (step, n) SELECT 'records', count(*) FROM ins;
UPDATE demo_timing SET at = clock_timestamp() WHERE step = 'records';  -- after the foreign-key checks
\if :{?demo_progress}
:demo_phase_line \gset
\echo :demo_line
\endif

-- 5. Double publicity (双公示): licences and penalties, with decision document
--    numbers per department and year and the double-publicity details.
WITH ins AS (
INSERT INTO credit.record (subject_id, item_code, department, document_no, decided_on, value, amount, details, status)
SELECT y.subject_id, y.item_code, y.dept,
       format('%s%s〔%s〕%s号', y.abbr, CASE WHEN y.is_license THEN '许' ELSE '罚' END, y.yr, y.seq),
       y.decided_on, 1, y.fine,
       CASE WHEN y.is_license THEN jsonb_build_object(
                'document_name', '准予行政许可决定书',
                'license_category', split_part(y.lic, '|', 2),
                'certificate_name', split_part(y.lic, '|', 1),
                'certificate_no', format('JY%s%s%s', y.lic_idx, y.yr, lpad(y.seq::text, 5, '0')),
                'content', split_part(y.lic, '|', 3),
                'valid_from', y.decided_on,
                'valid_to', y.valid_to)
            ELSE jsonb_build_object(
                'violation_type', split_part(y.vio, '|', 1),
                'facts', format('经查，当事人存在%s的违法行为。', split_part(y.vio, '|', 1)),
                'legal_basis', split_part(y.vio, '|', 2),
                'penalty_kind', y.pkind,
                'penalty_category', CASE y.pkind WHEN 'warning' THEN '警告' WHEN 'fine' THEN '罚款'
                                         WHEN 'confiscation' THEN '罚款；没收违法所得' WHEN 'detention' THEN '行政拘留'
                                         WHEN 'suspension' THEN '罚款；责令停产停业' ELSE '罚款；吊销许可证件' END,
                'content', CASE y.pkind WHEN 'warning' THEN '警告'
                                        WHEN 'detention' THEN format('行政拘留%s日', 5 + floor(10 * y.u4)::int)
                                             || CASE WHEN y.fine IS NOT NULL THEN format('，并处罚款人民币%s元', y.fine) ELSE '' END
                                        ELSE format('罚款人民币%s元', y.fine) END)
                 || CASE WHEN y.pkind = 'confiscation'
                         THEN jsonb_build_object('confiscated', round(pg_temp.demo_amount(1000, 100000, y.u4, 100) / 10000, 4))
                         ELSE '{}' END
                 || CASE WHEN y.pkind = 'revocation' THEN jsonb_build_object('license_revoked', '吊销营业执照') ELSE '{}' END
       END,
       CASE WHEN y.is_license AND y.valid_to < y.today THEN 'expired'
            WHEN NOT y.is_license AND y.decided_on < y.today - 365 AND y.u5 < 0.06 THEN 'repaired'
            WHEN NOT y.is_license AND y.u5 > 0.995 THEN 'revoked'
            WHEN NOT y.is_license AND y.decided_on > y.today - 60 AND y.u5 BETWEEN 0.5 AND 0.52 THEN 'objected'
            ELSE 'active' END
  FROM (SELECT x.*,
               row_number() OVER (PARTITION BY x.dept, x.is_license, x.yr ORDER BY x.decided_on, x.ord, x.i) AS seq
          FROM (SELECT g.*, p.subject_id, d.abbr, extract(year FROM g.decided_on)::int AS yr,
                       g.item_code = 'license' AS is_license,
                       pg_temp.demo_pick(d.licences, g.u1) AS lic,
                       array_position(d.licences, pg_temp.demo_pick(d.licences, g.u1)) AS lic_idx,
                       (g.decided_on + make_interval(years => split_part(pg_temp.demo_pick(d.licences, g.u1), '|', 4)::int))::date - 1 AS valid_to,
                       CASE WHEN g.item_code LIKE 'person%' AND g.dept = 'public_security' THEN pg_temp.demo_pick(w.person_violation, g.u1)
                            ELSE pg_temp.demo_pick(d.violations, g.u1) END AS vio,
                       CASE WHEN g.item_code = 'penalty_warning' THEN 'warning'
                            WHEN g.item_code = 'penalty_serious' THEN CASE WHEN g.u3 < 0.5 THEN 'fine' WHEN g.u3 < 0.7 THEN 'confiscation'
                                                                          WHEN g.u3 < 0.9 THEN 'suspension' ELSE 'revocation' END
                            WHEN g.item_code = 'penalty_general' THEN CASE WHEN g.u3 < 0.85 THEN 'fine' ELSE 'confiscation' END
                            WHEN g.item_code = 'person_penalty_general' THEN CASE WHEN g.u3 < 0.7 OR g.dept <> 'public_security' THEN 'fine' ELSE 'detention' END
                            WHEN g.item_code = 'person_penalty_serious' THEN 'detention'
                            WHEN g.item_code = 'license' THEN NULL
                            ELSE 'fine' END AS pkind,
                       CASE g.item_code
                            WHEN 'penalty_minor' THEN pg_temp.demo_amount(200, 5000, g.u2, 100)
                            WHEN 'penalty_general' THEN pg_temp.demo_amount(2000, 200000, g.u2, 100)
                            WHEN 'penalty_serious' THEN pg_temp.demo_amount(50000, 2000000, g.u2, 1000)
                            WHEN 'person_penalty_general' THEN CASE WHEN g.u3 < 0.7 OR g.dept <> 'public_security' THEN pg_temp.demo_amount(200, 5000, g.u2, 50) END
                            WHEN 'person_penalty_serious' THEN CASE WHEN g.u3 < 0.5 THEN pg_temp.demo_amount(1000, 5000, g.u2, 100) END
                       END AS fine
                  FROM (SELECT r.*, (SELECT today FROM demo_param) AS today,
                               (SELECT today FROM demo_param) - floor(1826 * r.u_day)::int AS decided_on,
                               pg_temp.demo_rank(r.pool_n, r.reach, r.expo, r.head, r.from_clean, r.u_rank) AS rn,
                               CASE WHEN r.dept0 = '*town' THEN pg_temp.demo_pick(t.a, r.u_town) ELSE r.dept0 END AS dept
                          FROM (SELECT m.ord, m.item_code, m.dept AS dept0, m.pool, m.pool_n, m.reach, m.expo, m.head, m.from_clean, i,
                                       random() AS u_rank, random() AS u_day, random() AS u_town,
                                       random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5
                                  FROM demo_mix m CROSS JOIN LATERAL generate_series(1, m.n_rec) AS i
                                 WHERE m.dp) r
                         CROSS JOIN demo_towns t) g
                  JOIN demo_pool p ON p.pool = g.pool AND p.rn = g.rn
                  JOIN demo_dept d ON d.code = g.dept
                 CROSS JOIN demo_w w) x) y
RETURNING 1)
INSERT INTO demo_timing (step, n) SELECT 'double publicity', count(*) FROM ins;
UPDATE demo_timing SET at = clock_timestamp() WHERE step = 'double publicity';
\if :{?demo_progress}
:demo_phase_line \gset
\echo :demo_line
\endif

ANALYZE credit.department, credit.subject, credit.record;
INSERT INTO demo_timing (step) VALUES ('analyze');

\if :{?demo_progress}
SELECT step, n AS rows,
       round(extract(epoch FROM at - lag(at) OVER (ORDER BY at))::numeric, 2) AS seconds
  FROM demo_timing ORDER BY at OFFSET 1;
SELECT round(extract(epoch FROM max(at) - min(at))::numeric, 1) AS demo_load_seconds FROM demo_timing \gset
\endif

DROP TABLE demo_param, demo_timing, demo_list, demo_arr, demo_w, demo_trade_word, demo_shop_word,
    demo_inst_word, demo_town, demo_dept, demo_risk, demo_pool, demo_mix, demo_towns;
DROP FUNCTION pg_temp.demo_org_check(text), pg_temp.demo_uscc_check(text), pg_temp.demo_org_body(bigint, text),
    pg_temp.demo_uscc(text, text, text), pg_temp.demo_resident_id(text, date, int),
    pg_temp.demo_pick(anyarray, float8), pg_temp.demo_pair(text[], bigint), pg_temp.demo_rank(int, float8, float8, float8, boolean, float8), pg_temp.demo_amount(numeric, numeric, float8, numeric);
RESET client_min_messages;
RESET jit;
